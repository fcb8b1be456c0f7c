import SlipwayClient
public import SlipwayCore

/// A served prediction as a replica ships it to its registry (`POST /api/v1/prediction-log`):
/// JSON, numbers as numbers, a missing feature as null.
extension ServedPrediction {
    public var wire: JSONValue {
        func numbers(_ values: [Double]) -> JSONValue { .array(values.map { $0.isNaN ? .null : .number($0) }) }
        return .object([
            ("request_id", .string(requestID)), ("model", .string(model)), ("version", version.map { .int($0) } ?? .null),
            ("served_at", .int(servedAt)), ("features", numbers(features)), ("feature_count", .int(featureCount)),
            ("outputs", numbers(outputs)), ("outputs_per_row", .int(outputsPerRow)), ("latency_us", .int(latencyMicroseconds)),
            ("status", .int(status)), ("error", error.map { .string($0) } ?? .null), ("source", .string(source)),
        ])
    }

    /// - Throws: INVALID_PARAMETER_VALUE naming what is missing or malformed.
    public init(wire json: JSONValue) throws(SlipwayError) {
        func int(_ key: String) throws(SlipwayError) -> Int64 {
            guard case .number(let n)? = json[key], n == n.rounded(), abs(n) < 9e15 else { throw .invalidParameter("An entry's '\(key)' must be an integer") }
            return Int64(n)
        }
        func text(_ key: String) throws(SlipwayError) -> String {
            guard let value = json[key]?.stringValue else { throw .invalidParameter("An entry's '\(key)' must be a string") }
            return value
        }
        func numbers(_ key: String) throws(SlipwayError) -> [Double] {
            guard case .array(let items)? = json[key] else { throw .invalidParameter("An entry's '\(key)' must be an array of numbers") }
            var values: [Double] = []
            for item in items {
                switch item {
                case .number(let n): values.append(n)
                case .null: values.append(.nan)
                default: throw .invalidParameter("An entry's '\(key)' must be an array of numbers")
                }
            }
            return values
        }
        var version: Int?
        if let value = json["version"], value != .null { version = Int(try int("version")) }
        self.init(
            requestID: try text("request_id"), model: try text("model"), version: version, servedAt: try int("served_at"),
            features: try numbers("features"), featureCount: Int(try int("feature_count")), outputs: try numbers("outputs"),
            outputsPerRow: Int(try int("outputs_per_row")), latencyMicroseconds: try int("latency_us"), status: Int(try int("status")),
            error: json["error"]?.stringValue, source: try text("source"))
        guard featureCount >= 0, features.count % max(featureCount, 1) == 0, outputsPerRow >= 1, outputs.count % outputsPerRow == 0 else {
            throw .invalidParameter("An entry's features or outputs do not fill whole rows")
        }
    }
}

/// Where a replica's prediction log goes: the registry it follows, in batches. Reading back and
/// pruning are the registry's.
public struct RemotePredictionLog: PredictionLogStore {
    let client: ServerClient

    public init(_ source: RemoteModelSource) {
        client = source.client
    }

    public func append(_ entries: [ServedPrediction]) async throws {
        try await client.post("/api/v1/prediction-log", json: .object([("entries", .array(entries.map(\.wire)))]), timeout: 30)
    }

    public func prune(before time: Int64) async throws -> Int { 0 }

    public func list(_ query: PredictionQuery) async throws -> (records: [PredictionRecord], nextPageToken: String?) {
        throw SlipwayError(.invalidState, "A replica reads its predictions back from its registry")
    }

    public func servedRows(model: String, since: Int64, until: Int64, version: Int?, featureCount: Int) async throws -> ServedRows {
        throw SlipwayError(.invalidState, "A replica's served predictions are read at its registry")
    }

    public func hourly(model: String, since: Int64, until: Int64) async throws -> [HourlyServing] {
        throw SlipwayError(.invalidState, "A replica's served predictions are read at its registry")
    }
}
