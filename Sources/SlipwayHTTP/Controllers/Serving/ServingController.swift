import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SlipwayCore
import SlipwayModels
import SlipwayServing

/// The prediction API: `/models/{name}/predict` and `/invocations` (MLflow's input formats),
/// `/predict` and `/invocations` for the default model, `GET /models[/{name}]`, `/ready`. Every
/// prediction request answered, errors included, goes to the prediction log when there is one.
struct ServingController: Sendable {
    let host: ModelHost
    let maxBodyBytes: Int
    let maxBatchRows: Int
    let log: PredictionLog?
    /// Names this process in the log's entries.
    let logSource: String

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        func on(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping @Sendable (Request, Context) async throws -> Response) {
            router.on(RouterPath(path), method: method, use: handler)
        }
        on(.post, "models/:name/predict") { request, context in try await predict(request, name: try context.parameters.decoded("name"), id: context.id) }
        on(.post, "models/:name/invocations") { request, context in
            try await predict(request, name: try context.parameters.decoded("name"), id: context.id)
        }
        on(.post, "predict") { request, context in try await predict(request, name: try defaultName(), id: context.id) }
        on(.post, "invocations") { request, context in try await predict(request, name: try defaultName(), id: context.id) }
        on(.get, "models") { _, _ in
            .json(.object([("models", .array(host.statuses.map(Self.describe)))]))
        }
        on(.get, "models/:name") { _, context in
            let name = try context.parameters.decoded("name")
            guard let status = host.status(name) else { throw Self.notServed(name) }
            return .json(Self.describe(status))
        }
        on(.get, "ready") { _, _ in
            let statuses = host.statuses
            let waiting = statuses.filter { $0.served == nil }.map { JSONValue.string($0.target.description) }
            return .json(.object([("ready", .bool(waiting.isEmpty)), ("waiting_for", .array(waiting))]), status: waiting.isEmpty ? .ok : .serviceUnavailable)
        }
    }

    /// `/predict` and `/invocations` serve the first `--model`.
    func defaultName() throws(SlipwayError) -> String {
        guard let name = host.targets.first?.name else {
            throw SlipwayError(.endpointNotFound, "No model is served: start the server with --model NAME@ALIAS")
        }
        return name
    }

    /// - Parameter id: the server's id for the request, its id when the client sent no `X-Request-Id`.
    func predict(_ request: Request, name: String, id: String) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        guard let log, log.samples else { return try await predict(request, name: name, start: start, seen: nil) }
        let seen = Seen()
        do {
            let response = try await predict(request, name: name, start: start, seen: seen)
            log.record(entry(request, name: name, id: id, start: start, seen: seen, status: 200, error: nil))
            return response
        } catch {
            let (status, message) = Self.status(of: error)
            log.record(entry(request, name: name, id: id, start: start, seen: seen, status: status, error: message))
            throw error
        }
    }

    /// Answers one prediction request; `seen` (when the request is logged) keeps what it read and predicted.
    func predict(_ request: Request, name: String, start: UInt64, seen: Seen?) async throws -> Response {
        guard let status = host.status(name) else { throw Self.notServed(name) }
        guard let model = status.served else {
            throw SlipwayError(.temporarilyUnavailable, "Model '\(name)' has no version loaded yet: \(status.failure?.message ?? "still loading")")
        }
        seen?.version = model.version.version
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBodyBytes)
        } catch {
            throw HTTPError(.contentTooLarge, message: "Request body exceeds the limit of \(maxBodyBytes) bytes")
        }
        let predictor = model.predictor
        let features = try buffer.withUnsafeReadableBytes { bytes throws(SlipwayError) in
            try PredictionInput.features(body: bytes, model: predictor, maxRows: maxBatchRows)
        }
        seen?.features = features
        let outputs = try await predictor.predictAsync(features)
        seen?.outputs = outputs
        seen?.outputsPerRow = predictor.outputsPerRow
        var response = Response.json(.raw(Self.answer(name: name, version: model.version.version, outputs: outputs, width: predictor.outputsPerRow, labels: predictor.classLabels)))
        response.headers[Self.versionHeader] = String(model.version.version)
        model.metrics.record(rows: features.rows, nanoseconds: DispatchTime.now().uptimeNanoseconds &- start)
        return response
    }

    /// What a logged request got as far as: the version chosen, the rows read, the outputs.
    final class Seen: @unchecked Sendable {
        var version: Int?
        var features: FeatureMatrix?
        var outputs: [Double] = []
        var outputsPerRow = 1
    }

    func entry(_ request: Request, name: String, id: String, start: UInt64, seen: Seen, status: Int, error: String?) -> ServedPrediction {
        ServedPrediction(
            requestID: RequestID.of(request, serverID: id), model: name, version: seen.version,
            servedAt: WallClock.milliseconds(), features: seen.features?.values ?? [], featureCount: seen.features?.columns ?? 0,
            outputs: seen.outputs, outputsPerRow: seen.outputsPerRow, latencyMicroseconds: Int64((DispatchTime.now().uptimeNanoseconds &- start) / 1000),
            status: status, error: error, source: logSource)
    }

    /// The status and message an error is answered with (as ``ErrorMiddleware`` answers it).
    static func status(of error: any Error) -> (Int, String) {
        if let error = error as? SlipwayError { return (error.code == .internalError ? 500 : error.code.httpStatus, error.message) }
        if let error = error as? HTTPError { return (Int(error.status.code), error.body ?? error.status.reasonPhrase) }
        return (500, "internal error")
    }

    /// `{"model": ..., "version": "3", "predictions": [...]}`: one number per row (or the class it
    /// names, when `labels` are given), or one array of class probabilities per row; written
    /// straight to bytes.
    static func answer(name: String, version: Int, outputs: [Double], width: Int, labels: [String] = []) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + outputs.count * 22)
        out.append(contentsOf: #"{"model":"#.utf8)
        JSONWriter.writeString(name, into: &out)
        out.append(contentsOf: #","version":""#.utf8)
        out.append(contentsOf: String(version).utf8)
        out.append(contentsOf: #"","predictions":["#.utf8)
        let rows = outputs.count / max(width, 1)
        for r in 0..<rows {
            if r > 0 { out.append(UInt8(ascii: ",")) }
            if width == 1, !labels.isEmpty, let index = Int(exactly: outputs[r]), labels.indices.contains(index) {
                JSONWriter.writeString(labels[index], into: &out)
            } else if width == 1 {
                JSONWriter.writeNumber(outputs[r], into: &out)
            } else {
                out.append(UInt8(ascii: "["))
                for k in 0..<width {
                    if k > 0 { out.append(UInt8(ascii: ",")) }
                    JSONWriter.writeNumber(outputs[r * width + k], into: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    /// What `GET /models/{name}` says: the version served, where it came from, and the last failure
    /// with when it is tried again.
    static func describe(_ status: ServingStatus) -> JSONValue {
        var fields: [(String, JSONValue)] = [("name", .string(status.target.name)), ("alias", .string(status.target.alias))]
        if let served = status.served {
            let summary = served.predictor.summary
            let metrics = served.runMetrics.map { ($0.key, JSONValue.number($0.value)) }
            fields += [
                ("version", .string(String(served.version.version))), ("run_id", .string(served.version.runID)),
                ("source", .string(served.version.source)), ("digest", .string(served.digest)),
                ("loaded_at", .number(Double(served.loadedAt))), ("metrics", .object(metrics)),
                ("format", .string(summary.format)), ("objective", .string(summary.objective)),
                ("features", .array(summary.featureNames.map { .string($0) })), ("output", .string(summary.outputKind.rawValue)),
            ]
        } else {
            fields.append(("version", .null))
        }
        if let failure = status.failure {
            fields.append(("last_failure", .object([
                ("version", failure.version.map { .string(String($0)) } ?? .null), ("message", .string(failure.message)),
                ("at", .int(failure.at)), ("attempts", .int(failure.attempts)),
                // A version that failed is tried again at this time; an unresolvable alias at the next poll.
                ("retry_at", failure.retryAt.map { .int($0) } ?? .null),
            ])))
        }
        fields += [("reloads", .number(Double(status.reloads))), ("failed_reloads", .number(Double(status.failedReloads)))]
        return .object(fields)
    }

    /// Names the version that answered; made once, not per request.
    static let versionHeader = HTTPField.Name("X-Slipway-Model-Version")!

    static func notServed(_ name: String) -> SlipwayError {
        .notFound("Model '\(name)' is not served here")
    }
}
