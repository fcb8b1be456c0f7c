import Hummingbird
import NIOCore
import SlipwayCore

extension Response {
    /// A 200 (or other status) response with a JSON body.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        let bytes: [UInt8]
        if case .raw(let encoded) = value { bytes = encoded } else { bytes = JSONWriter.bytes(value) }
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `{}`: MLflow's answer to a void operation.
    static var emptyJSON: Response { .json(.object([])) }

    /// MLflow's error JSON with the status that goes with its code.
    static func mlflowError(_ error: SlipwayError, status: HTTPResponse.Status? = nil) -> Response {
        .json(
            .object([
                ("error_code", .string(error.code.rawValue)),
                ("message", .string(error.message)),
                ("error_class", .string(error.code.errorClass)),
            ]),
            status: status ?? HTTPResponse.Status(code: error.code.httpStatus))
    }
}
