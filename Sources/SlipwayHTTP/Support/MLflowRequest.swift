import Foundation
import Hummingbird
import NIOCore
import SlipwayCore

/// The fields of an MLflow API request, from the query string (GET) or the JSON body (POST,
/// PATCH, DELETE), with typed accessors that answer a client's mistakes with MLflow's messages.
struct MLflowRequest {
    /// The members in order. Requests have a handful of fields, so a linear look-up beats
    /// hashing (a log-batch body holds a thousand small metric objects); the last of a
    /// duplicated key wins, as in a dictionary.
    struct Fields {
        var members: [(String, JSONValue)]

        subscript(key: String) -> JSONValue? {
            members.last(where: { $0.0 == key })?.1
        }
    }

    let fields: Fields
    /// Who sent it (the request context's actor), for the audit log.
    var actor = "api"
    /// Who sent it, as authenticated; nil on a server without auth.
    var identity: AuthIdentity?

    /// Checks that the sender may move `name`'s production (`governed()`: the model has a promotion
    /// policy, so the move is a promotion and needs `promote`) or any other alias or stage (`write`).
    /// Without auth nothing is asked of the store.
    func authorizeMove(_ name: String, governed: () async throws -> Bool) async throws {
        guard let identity else { return }
        let governed = try await governed()
        let needed: TokenScope = governed ? .promote : .write
        guard identity.allows(needed) else {
            throw SlipwayError(
                .permissionDenied,
                "User '\(identity.user)' may not move \(governed ? "production of '\(name)', which has a promotion policy" : "aliases or stages of '\(name)'"): it needs the \(needed.rawValue) scope")
        }
    }

    init(fields: [String: JSONValue]) {
        self.fields = Fields(members: Array(fields))
    }

    /// The request's JSON body, whole (`null` when it is empty).
    static func jsonBody(_ request: Request, limit: Int) async throws -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw HTTPError(.contentTooLarge, message: "Request body exceeds the limit of \(limit) bytes")
        }
        guard buffer.readableBytes > 0 else { return .null }
        return try buffer.withUnsafeReadableBytes { bytes throws(SlipwayError) in try JSONParser.parse(bytes) }
    }

    /// Reads the request's fields: the query for GET (and for a DELETE without a body), else the JSON body.
    static func read(_ request: Request, limit: Int) async throws -> MLflowRequest {
        var fields = queryFields(request.uri.query ?? "")
        if request.method != .get && request.method != .head {
            let parsed = try await jsonBody(request, limit: limit)
            if parsed != .null {
                guard case .object(let members) = parsed else {
                    throw SlipwayError(.badRequest, "Malformed request body: expected a JSON object, got \(parsed.typeName)")
                }
                for (key, value) in members { fields[key] = value }
            }
        }
        return MLflowRequest(fields: fields)
    }

    /// Parses `a=1&b=x+y&b=z` into fields; repeated keys become arrays, `+` is a space.
    static func queryFields(_ query: String) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decodeComponent(String(parts[0]))
            let value = parts.count > 1 ? decodeComponent(String(parts[1])) : ""
            switch fields[key] {
            case nil: fields[key] = .string(value)
            case .array(let items)?: fields[key] = .array(items + [.string(value)])
            case let existing?: fields[key] = .array([existing, .string(value)])
            }
        }
        return fields
    }

    static func decodeComponent(_ text: String) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    // MARK: - Typed accessors

    func missing(_ key: String) -> SlipwayError {
        .invalidParameter("Missing value for required parameter '\(key)'. See the API docs for more information about request parameters.")
    }

    func wrongType(_ key: String, _ value: JSONValue) -> SlipwayError {
        .invalidParameter("Invalid value \(JSONWriter.string(value)) for parameter '\(key)' supplied. Hint: Value was of type '\(value.typeName)'. See the API docs for more information about request parameters.")
    }

    /// A string field; `nil` when absent or null.
    func string(_ key: String) throws(SlipwayError) -> String? {
        switch fields[key] {
        case nil, .null?: return nil
        case .string(let s)?: return try checked(key, s)
        case .array(let items)? where items.count == 1:
            if case .string(let s) = items[0] { return try checked(key, s) }
            throw wrongType(key, .array(items))
        case let value?: throw wrongType(key, value)
        }
    }

    /// NUL characters are refused everywhere: PostgreSQL cannot store them in text.
    func checked(_ key: String, _ value: String) throws(SlipwayError) -> String {
        if value.utf8.contains(0) {
            throw .invalidParameter("Invalid value for parameter '\(key)': NUL characters are not allowed.")
        }
        return value
    }

    func requiredString(_ key: String) throws(SlipwayError) -> String {
        guard let value = try string(key), !value.isEmpty else { throw missing(key) }
        return value
    }

    /// An int64 field: a JSON number or a decimal string (proto3 JSON allows both, queries are strings).
    func int64(_ key: String) throws(SlipwayError) -> Int64? {
        switch fields[key] {
        case nil, .null?: return nil
        case .number(let d)?:
            guard d == d.rounded(), abs(d) < 9.2e18 else { throw wrongType(key, .number(d)) }
            return Int64(d)
        case .string(let s)?:
            if s.isEmpty { return nil }
            guard let v = Int64(s) else { throw wrongType(key, .string(s)) }
            return v
        case let value?: throw wrongType(key, value)
        }
    }

    func requiredInt64(_ key: String) throws(SlipwayError) -> Int64 {
        guard let value = try int64(key) else { throw missing(key) }
        return value
    }

    /// A double field: a JSON number, or a string holding a number, `NaN` or `Infinity`.
    func double(_ key: String) throws(SlipwayError) -> Double? {
        switch fields[key] {
        case nil, .null?: return nil
        case .number(let d)?: return d
        case .string(let s)?:
            switch s {
            case "NaN": return .nan
            case "Infinity", "inf": return .infinity
            case "-Infinity", "-inf": return -.infinity
            default:
                guard let d = Double(s) else { throw wrongType(key, .string(s)) }
                return d
            }
        case let value?: throw wrongType(key, value)
        }
    }

    func bool(_ key: String) throws(SlipwayError) -> Bool? {
        switch fields[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case .string(let s)?:
            switch s.lowercased() {
            case "true": return true
            case "false", "": return false
            default: throw wrongType(key, .string(s))
            }
        case let value?: throw wrongType(key, value)
        }
    }

    /// A repeated string field (JSON array, or repeated query keys).
    func strings(_ key: String) throws(SlipwayError) -> [String] {
        switch fields[key] {
        case nil, .null?: return []
        case .string(let s)?: return [try checked(key, s)]
        case .array(let items)?:
            return try items.map { item throws(SlipwayError) in
                guard case .string(let s) = item else { throw wrongType(key, item) }
                return try checked(key, s)
            }
        case let value?: throw wrongType(key, value)
        }
    }

    /// A repeated message field.
    func objects(_ key: String) throws(SlipwayError) -> [JSONValue] {
        switch fields[key] {
        case nil, .null?: return []
        case .array(let items)?:
            for item in items { guard case .object = item else { throw wrongType(key, item) } }
            return items
        case let value?: throw wrongType(key, value)
        }
    }

    /// A repeated `{key, value}` field (tags, params).
    func keyValues(_ key: String) throws(SlipwayError) -> [KeyValue] {
        try objects(key).map { item throws(SlipwayError) in
            let fields = MLflowRequest(object: item)
            return KeyValue(key: try fields.requiredString("key"), value: try fields.string("value") ?? "")
        }
    }

    /// The run id from `run_id` or its old name `run_uuid`; both present and different is an error.
    func runID() throws(SlipwayError) -> String {
        let id = try string("run_id")
        let uuid = try string("run_uuid")
        if let id, let uuid, !id.isEmpty, !uuid.isEmpty, id != uuid {
            throw .invalidParameter("Conflicting values for 'run_id' ('\(id)') and 'run_uuid' ('\(uuid)')")
        }
        guard let value = (id?.isEmpty == false ? id : nil) ?? (uuid?.isEmpty == false ? uuid : nil) else { throw missing("run_id") }
        return value
    }

    /// A model version number, sent as a string ("1") or a number.
    func version(_ key: String = "version") throws(SlipwayError) -> Int {
        let raw: String
        switch fields[key] {
        case .number(let d)?: raw = Int64(exactly: d).map(String.init) ?? String(d)
        default: raw = try requiredString(key)
        }
        guard let version = Int(raw), version > 0 else {
            throw .invalidParameter("Parameter 'version' must be an integer, got '\(raw)'.")
        }
        return version
    }

    init(object: JSONValue) {
        if case .object(let members) = object {
            fields = Fields(members: members)
        } else {
            fields = Fields(members: [])
        }
    }
}
