/// Something that happened, as a CloudEvents 1.0 event: what (`type`, an `EventType` such as `ml.serving.load_failed.v1`),
/// where (`source`, the process that saw it), to what (`subject`, e.g. `models/churn/versions/3`),
/// when, and the details (`data`, a JSON object). Events are kept in the store's event log, read at
/// `/api/v1/events`.
public struct Event: Sendable, Hashable {
    public var id: String
    public var type: String
    public var source: String
    public var subject: String
    /// Milliseconds since the Unix epoch.
    public var time: Int64
    /// The `data` object, encoded.
    public var data: String

    public init(id: String, type: String, source: String, subject: String, time: Int64, data: String) {
        self.id = id
        self.type = type
        self.source = source
        self.subject = subject
        self.time = time
        self.data = data
    }

    /// A new event with a fresh id that sorts after those made before it.
    public init(type: EventType, source: String, subject: String, time: Int64, data: JSONValue) {
        self.init(id: IDGenerator.timeOrdered(time), type: type.rawValue, source: source, subject: subject, time: time, data: JSONWriter.string(data))
    }

    /// The registered model the event is about: NAME of a `models/NAME` or `models/NAME/versions/N` subject.
    public var modelName: String? {
        guard subject.hasPrefix("models/") else { return nil }
        let parts = subject.dropFirst("models/".count).split(separator: "/", omittingEmptySubsequences: false)
        if parts.count >= 3, parts[parts.count - 2] == "versions", let last = parts.last, !last.isEmpty, last.allSatisfy({ $0.isASCII && $0.isNumber }) {
            return parts.dropLast(2).joined(separator: "/")
        }
        return parts.joined(separator: "/")
    }

    /// The type as Slipway knows it, or `nil` for one it does not.
    public var knownType: EventType? { EventType(rawValue: type) }

    /// The event in CloudEvents 1.0's JSON format.
    public var cloudEvent: JSONValue {
        .object([
            ("specversion", .string("1.0")), ("id", .string(id)), ("source", .string(source)), ("type", .string(type)),
            ("subject", .string(subject)), ("time", .string(WallClock.rfc3339(milliseconds: time))),
            ("datacontenttype", .string("application/json")), ("data", (try? JSONParser.parse(data)) ?? .object([])),
        ])
    }

    /// - Throws: INVALID_PARAMETER_VALUE for an empty or oversized field, or `data` that is not a JSON object.
    public func validate() throws(SlipwayError) {
        for (field, value, limit) in [("id", id, 200), ("type", type, 200), ("source", source, 1000), ("subject", subject, 1000)] {
            guard !value.isEmpty || field == "subject", value.utf8.count <= limit else {
                throw .invalidParameter("Event '\(field)' must be 1 to \(limit) bytes")
            }
        }
        guard data.utf8.count <= 64 << 10, case .object? = try? JSONParser.parse(data) else {
            throw .invalidParameter("Event 'data' must be a JSON object of at most 64 KiB")
        }
    }
}
