public import SlipwayCore

/// Rows of features read straight from JSON bytes, with no intermediate values: an object names
/// its features (keys the model does not use are skipped, `null` is a missing value), an array
/// gives them by position; `true`/`false` are 1 and 0. Used for JSON lines files and for the
/// serving API's request bodies.
struct JSONFeatureRows: Sendable {
    let featureNames: [String]
    /// The names' UTF-8 bytes, compared with keys as they stand in the input.
    let nameBytes: [[UInt8]]
    let featureCount: Int
    let absent: JSONRows.AbsentFeature
    /// Strict JSON, for request bodies: numbers in JSON's grammar only, and a key the model does
    /// not use (or a repeated one) is refused as `.invalid`, so the caller's general reader, which
    /// checks every value, reads that body instead.
    var strict = false
    /// Feature slots by name, built the first time a key comes out of the model's order.
    var slots: [[UInt8]: Int]?
    /// Which features the current row object gave.
    var given: [Bool]
    /// Per feature slot, the codes of a text feature's categories (nil for a number).
    let text: [TextCodes?]

    init(featureNames: [String], featureCount: Int, absent: JSONRows.AbsentFeature, textCategories: [Int: [String]] = [:]) {
        self.featureNames = featureNames
        nameBytes = featureNames.map { Array($0.utf8) }
        self.featureCount = featureCount
        self.absent = absent
        given = [Bool](repeating: false, count: featureNames.count)
        text = TextCodes.slots(textCategories, featureCount: featureCount)
    }

    /// The slot of a key, or nil for a key the model does not use.
    mutating func slot(of key: [UInt8]) -> Int? {
        if slots == nil {
            var slots: [[UInt8]: Int] = [:]
            for (slot, name) in nameBytes.enumerated() where slots[name] == nil { slots[name] = slot }
            self.slots = slots
        }
        return slots?[key]
    }

    /// The slot of the key at `i`: the expected one when the key is the next feature in the
    /// model's order (compared in place, no copy), else looked up by name.
    @inline(__always)
    mutating func slot(_ b: UnsafeRawBufferPointer, at i: inout Int, expected: Int) throws(RowError) -> Int? {
        if let (start, end) = JSONBytes.plainString(b, at: &i) {
            let key = UnsafeRawBufferPointer(rebasing: b[start..<end])
            if expected < nameBytes.count, nameBytes[expected].withUnsafeBytes({ $0.elementsEqual(key) }) { return expected }
            return slot(of: Array(key))
        }
        return slot(of: Array(try JSONBytes.string(b, at: &i)))
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
    mutating func read(_ b: UnsafeRawBufferPointer, at i: inout Int, into values: UnsafeMutableBufferPointer<Double>) throws(RowError) {
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
                    let value = count < featureCount && text[count] != nil
                        ? try category(b, at: &i, text[count]!)
                        : try number(b, at: &i) { [featureNames] in featureNames.isEmpty || count >= featureNames.count ? "#\(count)" : featureNames[count] }
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
            for k in given.indices { given[k] = false }
            var expected = 0
            JSONBytes.skipSpace(b, &i)
            if i < b.count, b[i] == UInt8(ascii: "}") {
                i += 1
            } else {
                while true {
                    JSONBytes.skipSpace(b, &i)
                    let slot = try self.slot(b, at: &i, expected: expected)
                    JSONBytes.skipSpace(b, &i)
                    guard i < b.count, b[i] == UInt8(ascii: ":") else { throw .invalid("expected ':' after a key") }
                    i += 1
                    if let slot, !given[slot] {
                        if let codes = text[slot] {
                            values[slot] = try category(b, at: &i, codes)
                        } else {
                            values[slot] = try number(b, at: &i) { [featureNames] in featureNames[slot] }
                        }
                        given[slot] = true
                        expected = slot + 1
                    } else {
                        guard !strict else { throw .invalid("a key the model does not use") }
                        try JSONBytes.skipValue(b, at: &i)
                    }
                    guard try JSONBytes.next(b, &i, close: UInt8(ascii: "}")) else { break }
                }
            }
            for slot in 0..<featureCount where !given[slot] {
                guard absent == .missing else {
                    throw .row("is missing feature '\(featureNames[slot])' (send null for a missing value)")
                }
                values[slot] = .nan
            }
        default:
            throw .row("is a \(JSONBytes.typeName(b[i])); a row is an object of features or an array of values")
        }
    }

    /// A text feature's value: its category's code (-1 for text the model never saw), `null` a
    /// missing value; a number or boolean is looked up as the text it is written as.
    func category(_ b: UnsafeRawBufferPointer, at i: inout Int, _ codes: TextCodes) throws(RowError) -> Double {
        JSONBytes.skipSpace(b, &i)
        guard i < b.count else { throw .invalid("a value is missing") }
        if b[i] == UInt8(ascii: "\"") { return codes.code(try JSONBytes.string(b, at: &i)) }
        if JSONBytes.literal(b, &i, "null") { return .nan }
        let start = i
        try JSONBytes.skipValue(b, at: &i)
        return codes.code(UnsafeRawBufferPointer(rebasing: b[start..<i]))
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
            let text = UnsafeRawBufferPointer(rebasing: b[start..<i])
            if !strict || JSONBytes.isJSONNumber(text), let value = DecimalNumber.parse(text) { return value }
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

    /// Whether `text` is a number in JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    static func isJSONNumber(_ text: UnsafeRawBufferPointer) -> Bool {
        var k = 0
        let n = text.count
        func digits() -> Int {
            let start = k
            while k < n, text[k] &- 48 < 10 { k += 1 }
            return k - start
        }
        if k < n, text[k] == UInt8(ascii: "-") { k += 1 }
        guard k < n else { return false }
        if text[k] == UInt8(ascii: "0") { k += 1 } else if digits() == 0 { return false }
        if k < n, text[k] == UInt8(ascii: ".") {
            k += 1
            guard digits() > 0 else { return false }
        }
        if k < n, text[k] | 0x20 == UInt8(ascii: "e") {
            k += 1
            if k < n, text[k] == UInt8(ascii: "+") || text[k] == UInt8(ascii: "-") { k += 1 }
            guard digits() > 0 else { return false }
        }
        return k == n
    }

    /// The bounds of the string at `i` (inside its quotes) when it holds no escape; `i` moves past
    /// it. Nil, with `i` left alone, for anything else.
    @inline(__always)
    static func plainString(_ b: UnsafeRawBufferPointer, at i: inout Int) -> (Int, Int)? {
        guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
        var k = i + 1
        while k < b.count {
            let c = b[k]
            if c == UInt8(ascii: "\"") {
                let start = i + 1
                i = k + 1
                return (start, k)
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { return nil }
            k += 1
        }
        return nil
    }

    /// A string's bytes, unescaped (`\"`, `\\`, `\n`, `\u00e9`...).
    static func string(_ b: UnsafeRawBufferPointer, at i: inout Int) throws(JSONFeatureRows.RowError) -> ArraySlice<UInt8> {
        guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw .invalid("expected a string key") }
        let start = i
        i += 1
        var escaped = false
        while i < b.count, b[i] != UInt8(ascii: "\"") {
            guard b[i] >= 0x20 else { throw .invalid("a string holds a control character") }
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
