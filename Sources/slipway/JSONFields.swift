import SlipwayCore

/// Reading the API's JSON for printing: the same shapes whether a command ran on the store (and
/// turned its results into the API's JSON) or against a server.
extension JSONValue {
    /// A field as text: a string as it is, a number or a bool as JSON writes it, "" when absent or null.
    func text(_ key: String) -> String {
        switch self[key] {
        case .string(let text)?: text
        case nil, .null?: ""
        case let value?: JSONWriter.string(value)
        }
    }

    /// A millisecond timestamp field (a number, or a string of digits as MLflow writes some).
    func millis(_ key: String) -> Int64? {
        switch self[key] {
        case .number(let x)?: Int64(exactly: x.rounded())
        case .string(let text)?: Int64(text)
        default: nil
        }
    }
}

extension JSONValue {
    /// The value with any pre-written JSON (`.raw`, as the API writes a run's big lists) parsed
    /// back, so that its fields can be read.
    var readable: JSONValue {
        (try? JSONParser.parse(JSONWriter.bytes(self))) ?? self
    }
}

/// An object's members in order; none for anything else.
func membersOf(_ value: JSONValue) -> [(String, JSONValue)] {
    if case .object(let members) = value { return members }
    return []
}
