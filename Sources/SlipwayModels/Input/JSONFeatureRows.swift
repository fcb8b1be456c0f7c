public import SlipwayCore

/// Rows of features read straight from JSON bytes, with no intermediate values: an object names
/// its features (keys the model does not use are skipped, `null` is a missing value), an array
/// gives them by position; `true`/`false` are 1 and 0. Used for JSON lines files and for the
/// serving API's request bodies.
struct JSONFeatureRows: Sendable {
    let featureNames: [[UInt8]]
    let slots: [[UInt8]: Int]
    let featureCount: Int
    let absent: JSONRows.AbsentFeature

    init(featureNames: [String], featureCount: Int, absent: JSONRows.AbsentFeature) {
        self.featureNames = featureNames.map { Array($0.utf8) }
        var slots: [[UInt8]: Int] = [:]
        for (slot, name) in self.featureNames.enumerated() where slots[name] == nil { slots[name] = slot }
        self.slots = slots
        self.featureCount = featureCount
        self.absent = absent
    }

    /// A row's problem: a message naming the feature, or invalid JSON.
    enum RowError: Error {
        /// Not JSON.
        case invalid(String)
        /// A row that does not fit the model ("has 3 values; ...").
        case row(String)
        /// A feature's value that is not a number ("feature 'a': expected ...").
        case cell(String)
    }

    /// Reads the row value at `i` (whitespace before it skipped) into `values[0..<featureCount]`.
    func read(_ b: UnsafeRawBufferPointer, at i: inout Int, into values: UnsafeMutableBufferPointer<Double>) throws(RowError) {
        JSONBytes.skipSpace(b, &i)
        guard i < b.count else { throw .invalid("the row ends early") }
        switch b[i] {
        case UInt8(ascii: "["):
            i += 1
            var count = 0
            JSONBytes.skipSpace(b, &i)
            if i < b.count, b[i] == UInt8(ascii: "]") {
                i += 1
            } else {
                while true {
                    let value = try number(b, at: &i) { featureNames.isEmpty || count >= featureNames.count ? "#\(count)" : String(decoding: featureNames[count], as: UTF8.self) }
                    if count < featureCount { values[count] = value }
                    count += 1
                    guard try JSONBytes.next(b, &i, close: UInt8(ascii: "]")) else { break }
                }
            }
            guard count == featureCount else {
                throw .row("has \(count) values; the model expects \(featureCount) features")
            }
        case UInt8(ascii: "{"):
            guard !featureNames.isEmpty else {
                throw .row("is an object, but the model has no feature names: give an array of \(featureCount) values")
            }
            i += 1
            var given = [Bool](repeating: false, count: featureCount)
            var expected = 0
            JSONBytes.skipSpace(b, &i)
            if i < b.count, b[i] == UInt8(ascii: "}") {
                i += 1
            } else {
                while true {
                    JSONBytes.skipSpace(b, &i)
                    let key = try JSONBytes.string(b, at: &i)
                    JSONBytes.skipSpace(b, &i)
                    guard i < b.count, b[i] == UInt8(ascii: ":") else { throw .invalid("expected ':' after a key") }
                    i += 1
                    let slot: Int?
                    if expected < featureNames.count, key.elementsEqual(featureNames[expected]) {
                        slot = expected
                    } else {
                        slot = slots[Array(key)]
                    }
                    if let slot, !given[slot] {
                        values[slot] = try number(b, at: &i) { String(decoding: featureNames[slot], as: UTF8.self) }
                        given[slot] = true
                        expected = slot + 1
                    } else {
                        try JSONBytes.skipValue(b, at: &i)
                    }
                    guard try JSONBytes.next(b, &i, close: UInt8(ascii: "}")) else { break }
                }
            }
            for slot in 0..<featureCount where !given[slot] {
                guard absent == .missing else {
                    throw .row("is missing feature '\(String(decoding: featureNames[slot], as: UTF8.self))' (send null for a missing value)")
                }
                values[slot] = .nan
            }
        default:
            throw .row("is a \(JSONBytes.typeName(b[i])); a row is an object of features or an array of values")
        }
    }

    /// A feature's value: a number, `null` (missing), or a boolean.
    @inline(__always)
    func number(_ b: UnsafeRawBufferPointer, at i: inout Int, feature: () -> String) throws(RowError) -> Double {
        JSONBytes.skipSpace(b, &i)
        guard i < b.count else { throw .invalid("a value is missing") }
        let first = b[i]
        if first == UInt8(ascii: "-") || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) {
            let start = i
            while i < b.count, JSONBytes.isNumberByte(b[i]) { i += 1 }
            if let value = DecimalNumber.parse(UnsafeRawBufferPointer(rebasing: b[start..<i])) { return value }
            if b[start] == UInt8(ascii: "-"), JSONBytes.literal(b, &i, "Infinity") { return -.infinity }
            throw .invalid("'\(String(decoding: b[start..<i], as: UTF8.self))' is not a number")
        }
        if JSONBytes.literal(b, &i, "null") { return .nan }
        if JSONBytes.literal(b, &i, "true") { return 1 }
        if JSONBytes.literal(b, &i, "false") { return 0 }
        if JSONBytes.literal(b, &i, "NaN") { return .nan }
        if JSONBytes.literal(b, &i, "Infinity") { return .infinity }
        throw .cell("feature '\(feature())': expected a number, got a \(JSONBytes.typeName(first))")
    }
}

/// The small pieces of JSON syntax the row reader needs, over bytes.
enum JSONBytes {
    @inline(__always)
    static func skipSpace(_ b: UnsafeRawBufferPointer, _ i: inout Int) {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    @inline(__always)
    static func isNumberByte(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ".") || c == UInt8(ascii: "-")
            || c == UInt8(ascii: "+") || c | 0x20 == UInt8(ascii: "e")
    }

    /// After a member or element: true at `,` (another follows), false at `close` (the container ended).
    @inline(__always)
    static func next(_ b: UnsafeRawBufferPointer, _ i: inout Int, close: UInt8) throws(JSONFeatureRows.RowError) -> Bool {
        skipSpace(b, &i)
        guard i < b.count else { throw .invalid("the row ends early") }
        let c = b[i]
        i += 1
        if c == UInt8(ascii: ",") { return true }
        if c == close { return false }
        throw .invalid("expected ',' or '\(Character(UnicodeScalar(close)))'")
    }

    static func literal(_ b: UnsafeRawBufferPointer, _ i: inout Int, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard i + n <= b.count else { return false }
        let bytes = word.utf8Start
        for k in 0..<n where b[i + k] != bytes[k] { return false }
        i += n
        return true
    }

    /// A string's bytes, unescaped (`\"`, `\\`, `\n`, `\u00e9`...).
    static func string(_ b: UnsafeRawBufferPointer, at i: inout Int) throws(JSONFeatureRows.RowError) -> ArraySlice<UInt8> {
        guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw .invalid("expected a string key") }
        let start = i
        i += 1
        var escaped = false
        while i < b.count, b[i] != UInt8(ascii: "\"") {
            if b[i] == UInt8(ascii: "\\") {
                escaped = true
                i += 1
            }
            i += 1
        }
        guard i < b.count else { throw .invalid("a string never ends") }
        i += 1
        guard escaped else { return ArraySlice(b[(start + 1)..<(i - 1)]) }
        guard case .string(let text)? = try? JSONParser.parse(Array(b[start..<i])) else { throw .invalid("a string has an invalid escape") }
        return ArraySlice(text.utf8)
    }

    /// Steps over any value: a scalar, a string, or a whole nested object or array.
    static func skipValue(_ b: UnsafeRawBufferPointer, at i: inout Int) throws(JSONFeatureRows.RowError) {
        skipSpace(b, &i)
        guard i < b.count else { throw .invalid("a value is missing") }
        var depth = 0
        repeat {
            guard i < b.count else { throw .invalid("the row ends early") }
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                _ = try string(b, at: &i)
                continue
            }
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
            if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                if depth == 0 { return }  // the end of the enclosing container: the caller reads it
                depth -= 1
            }
            if depth == 0, c == UInt8(ascii: ",") { return }
            i += 1
        } while depth > 0 || (i < b.count && !(b[i] == UInt8(ascii: ",") || b[i] == UInt8(ascii: "}") || b[i] == UInt8(ascii: "]")))
    }

    static func typeName(_ first: UInt8) -> String {
        switch first {
        case UInt8(ascii: "\""): return "string"
        case UInt8(ascii: "{"): return "object"
        case UInt8(ascii: "["): return "array"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "boolean"
        case UInt8(ascii: "n"): return "null"
        default: return "value that is not JSON"
        }
    }
}
