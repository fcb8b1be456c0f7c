/// A JSON value with object keys kept in order, so responses come out in the order MLflow writes them.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])
    /// An already encoded JSON value (from ``JSONStream``), written as it is.
    case raw([UInt8])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.raw(let a), .raw(let b)): return a == b
        default: return false
        }
    }

    /// The member with that key, for an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.0 == key })?.1
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// A number, including NaN and the infinities as `JSONWriter` writes them (`"NaN"`, `"Infinity"`, `"-Infinity"`).
    public var numberValue: Double? {
        switch self {
        case .number(let x): return x
        case .string("NaN"): return .nan
        case .string("Infinity"): return .infinity
        case .string("-Infinity"): return -.infinity
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// A short name of the value's JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .number: return "number"
        case .string: return "str"
        case .array: return "list"
        case .object, .raw: return "dict"
        }
    }

    /// An integer that is exactly representable, as an Int64 JSON number.
    public static func int(_ value: Int64) -> JSONValue { .number(Double(value)) }
    public static func int(_ value: Int) -> JSONValue { .number(Double(value)) }
}

/// Builds a JSON object member list, leaving out what MLflow leaves out.
public struct JSONObjectBuilder {
    public private(set) var members: [(String, JSONValue)] = []
    public init() {}

    public mutating func add(_ key: String, _ value: JSONValue) { members.append((key, value)) }
    public mutating func add(_ key: String, _ value: String) { members.append((key, .string(value))) }
    public mutating func add(_ key: String, _ value: Int64) { members.append((key, .int(value))) }
    /// Adds the member only when the value is present.
    public mutating func add(_ key: String, ifPresent value: String?) {
        if let value { members.append((key, .string(value))) }
    }
    public mutating func add(_ key: String, ifPresent value: Int64?) {
        if let value { members.append((key, .int(value))) }
    }
    /// Adds an array only when it is not empty (proto3 JSON omits empty repeated fields).
    public mutating func add(_ key: String, nonEmpty values: [JSONValue]) {
        if !values.isEmpty { members.append((key, .array(values))) }
    }

    public var value: JSONValue { .object(members) }
}
