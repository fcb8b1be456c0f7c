import Hummingbird
import NIOCore
import SlipwayCore

/// What operators and orchestrators probe: `GET /health` (the process answers) and `GET /metrics`
/// (every metric of this process in Prometheus' text format). `/ready` is the serving controller's.
/// With auth, `/metrics` leaves out the series of models the caller may not read (a `model` label).
struct OperationsController: Sendable {
    let metrics: PrometheusFactory
    var gate: PermissionGate? = nil

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.get("health") { _, _ in "OK" }
        router.get("metrics") { _, context in
            var text = metrics.exposition()
            if let gate, try await gate.constrains(context.identity, .registeredModel) {
                text = try await Self.readable(text) { try await gate.canRead(context.identity, .registeredModel, $0) }
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
    }

    /// The exposition without the samples whose `model` label names a model `visible` refuses.
    static func readable(_ exposition: [UInt8], visible: (String) async throws -> Bool) async throws -> [UInt8] {
        var kept: [ArraySlice<UInt8>] = []
        for line in exposition.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if let model = modelLabel(line), try await !visible(model) { continue }
            kept.append(line)
        }
        return Array(kept.joined(separator: [UInt8(ascii: "\n")]))
    }

    /// The value of a sample line's `model` label, unescaped (`\\`, `\"`, `\n`); nil for comments and samples without one.
    static func modelLabel(_ line: ArraySlice<UInt8>) -> String? {
        guard line.first != UInt8(ascii: "#"), let open = line.firstIndex(of: UInt8(ascii: "{")) else { return nil }
        var i = open + 1
        while i < line.endIndex, line[i] != UInt8(ascii: "}") {
            // A label: name="value"
            guard let equals = line[i...].firstIndex(of: UInt8(ascii: "=")), equals + 1 < line.endIndex, line[equals + 1] == UInt8(ascii: "\"") else { return nil }
            let name = line[i..<equals]
            var value: [UInt8] = []
            var j = equals + 2
            while j < line.endIndex, line[j] != UInt8(ascii: "\"") {
                if line[j] == UInt8(ascii: "\\"), j + 1 < line.endIndex {
                    j += 1
                    value.append(line[j] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : line[j])
                } else {
                    value.append(line[j])
                }
                j += 1
            }
            if name.elementsEqual("model".utf8) { return String(decoding: value, as: UTF8.self) }
            i = j + 1
            if i < line.endIndex, line[i] == UInt8(ascii: ",") { i += 1 }
        }
        return nil
    }
}
