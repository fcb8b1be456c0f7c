// The ceiling of the serving benchmark: a Hummingbird hello-world that reads and decodes the same
// JSON body as a prediction request and answers a fixed JSON, with no model behind it.
import Hummingbird
import NIOCore
import SlipwayCore

let port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 8090
let router = Router()
router.post("models/bench/predict") { request, _ -> Response in
    let buffer = try await request.body.collect(upTo: 16 << 20)
    let body = try buffer.withUnsafeReadableBytes { bytes throws(SlipwayError) in try JSONParser.parse(bytes) }
    let rows = body["instances"]?.arrayValue?.count ?? 0
    let reply = JSONWriter.bytes(.object([("model", .string("bench")), ("version", .string("1")), ("rows", .number(Double(rows)))]))
    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: reply)))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
