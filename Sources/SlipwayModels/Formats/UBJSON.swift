import Foundation
public import SlipwayCore

/// Universal Binary JSON (the form XGBoost writes to `*.ubj`, and MLflow's xgboost flavor logs),
/// read into a ``JSONValue``: big-endian numbers, length-prefixed keys and strings, and optimized
/// containers (`$type#count`). Depth and sizes are bounded so a hostile file cannot exhaust memory.
public struct UBJSONReader {
    public static let maxDepth = 128

    let bytes: [UInt8]
    var index = 0
    let source: String

    /// - Throws: `INVALID_PARAMETER_VALUE` naming the file and the byte where it went wrong.
    public static func parse(_ bytes: [UInt8], source: String) throws(SlipwayError) -> JSONValue {
        var reader = UBJSONReader(bytes: bytes, source: source)
        let value = try reader.value(depth: 0)
        guard reader.index == bytes.count else { throw reader.error("unexpected data after the value") }
        return value
    }

    init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
    }

    func error(_ what: String) -> SlipwayError {
        .invalidParameter("UBJSON file '\(source)' is malformed: \(what) at byte \(index)")
    }

    mutating func byte() throws(SlipwayError) -> UInt8 {
        guard index < bytes.count else { throw error("unexpected end of file") }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func bigEndian(_ count: Int) throws(SlipwayError) -> UInt64 {
        guard index + count <= bytes.count else { throw error("unexpected end of file") }
        var v: UInt64 = 0
        for i in 0..<count { v = v << 8 | UInt64(bytes[index + i]) }
        index += count
        return v
    }

    mutating func value(depth: Int) throws(SlipwayError) -> JSONValue {
        var marker = try byte()
        while marker == UInt8(ascii: "N") { marker = try byte() }
        return try value(marker: marker, depth: depth)
    }

    mutating func value(marker: UInt8, depth: Int) throws(SlipwayError) -> JSONValue {
        guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
        switch marker {
        case UInt8(ascii: "Z"): return .null
        case UInt8(ascii: "T"): return .bool(true)
        case UInt8(ascii: "F"): return .bool(false)
        case UInt8(ascii: "i"), UInt8(ascii: "U"), UInt8(ascii: "I"), UInt8(ascii: "l"), UInt8(ascii: "L"):
            return .number(Double(try integer(marker: marker)))
        case UInt8(ascii: "d"): return .number(Double(Float(bitPattern: UInt32(try bigEndian(4)))))
        case UInt8(ascii: "D"): return .number(Double(bitPattern: try bigEndian(8)))
        case UInt8(ascii: "C"): return .string(String(UnicodeScalar(try byte())))
        case UInt8(ascii: "S"), UInt8(ascii: "H"): return .string(try string())
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "{"): return try object(depth: depth)
        default: throw error("unknown type marker \(marker)")
        }
    }

    mutating func integer(marker: UInt8) throws(SlipwayError) -> Int64 {
        switch marker {
        case UInt8(ascii: "i"): return Int64(Int8(bitPattern: try byte()))
        case UInt8(ascii: "U"): return Int64(try byte())
        case UInt8(ascii: "I"): return Int64(Int16(bitPattern: UInt16(try bigEndian(2))))
        case UInt8(ascii: "l"): return Int64(Int32(bitPattern: UInt32(try bigEndian(4))))
        case UInt8(ascii: "L"): return Int64(bitPattern: try bigEndian(8))
        default: throw error("expected an integer type, got marker \(marker)")
        }
    }

    /// A count or length: an integer that must fit in what is left of the file.
    mutating func length(perItem: Int = 1) throws(SlipwayError) -> Int {
        let n = try integer(marker: try byte())
        guard n >= 0, n <= Int64(bytes.count - index) / Int64(max(perItem, 1)) + 1 else { throw error("length \(n) is impossible here") }
        return Int(n)
    }

    mutating func string() throws(SlipwayError) -> String {
        let n = try length()
        guard index + n <= bytes.count else { throw error("string runs past the end") }
        guard let s = String(validating: bytes[index..<index + n], as: UTF8.self) else { throw error("string is not UTF-8") }
        index += n
        return s
    }

    /// `$type` and `#count` after an opening bracket, when present.
    mutating func containerHeader() throws(SlipwayError) -> (type: UInt8?, count: Int?) {
        var type: UInt8?
        if index < bytes.count, bytes[index] == UInt8(ascii: "$") {
            index += 1
            type = try byte()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "#") {
            index += 1
            return (type, try length())
        }
        if type != nil { throw error("a typed container needs a count") }
        return (nil, nil)
    }

    mutating func array(depth: Int) throws(SlipwayError) -> JSONValue {
        let (type, count) = try containerHeader()
        var items: [JSONValue] = []
        if let count {
            items.reserveCapacity(min(count, 1 << 20))
            for _ in 0..<count {
                if let type {
                    items.append(try value(marker: type, depth: depth + 1))
                } else {
                    items.append(try value(depth: depth + 1))
                }
            }
            return .array(items)
        }
        while true {
            guard index < bytes.count else { throw error("unterminated array") }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            items.append(try value(depth: depth + 1))
        }
    }

    mutating func object(depth: Int) throws(SlipwayError) -> JSONValue {
        let (type, count) = try containerHeader()
        var members: [(String, JSONValue)] = []
        if let count {
            for _ in 0..<count {
                let key = try string()
                if let type {
                    members.append((key, try value(marker: type, depth: depth + 1)))
                } else {
                    members.append((key, try value(depth: depth + 1)))
                }
            }
            return .object(members)
        }
        while true {
            guard index < bytes.count else { throw error("unterminated object") }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            let key = try string()
            members.append((key, try value(depth: depth + 1)))
        }
    }
}
