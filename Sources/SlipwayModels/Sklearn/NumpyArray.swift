import SlipwayCore

/// A NumPy `.npy` array of numbers (versions 1 to 3, little-endian or single-byte kinds: `f8 f4
/// i8 i4 u8 u4 u1 b1`), its values as `Double` in C (row-major) order, Fortran-ordered files
/// reordered. Strings (`<U`) read as text; records (a structured dtype, like scikit-learn's tree
/// nodes) read field by field with `field(_:)`.
struct NumpyArray {
    var shape: [Int]
    var values: [Double] = []
    var strings: [String] = []
    /// Records: each field's kind and offset, the record size, and the records' bytes.
    var fields: [String: (kind: Kind, offset: Int)] = [:]
    var recordSize = 0
    var records: ArraySlice<UInt8> = []

    /// The number kinds read, as a dtype names them without its byte order.
    enum Kind: Substring {
        case f8, f4, i8, i4, u8, u4, u1, b1

        var size: Int {
            switch self {
            case .f8, .i8, .u8: 8
            case .f4, .i4, .u4: 4
            case .u1, .b1: 1
            }
        }
    }

    var count: Int { shape.reduce(1, *) }

    init(_ bytes: ArraySlice<UInt8>, name: String) throws(SlipwayError) {
        func fail(_ why: String) -> SlipwayError { .invalidParameter("Array '\(name)' of the skops file: \(why)") }
        // Offsets below are from the array's first byte; the bytes stay where the archive holds them.
        func byte(_ i: Int) -> Int { Int(bytes[bytes.startIndex + i]) }
        guard bytes.count >= 10, byte(0) == 0x93, bytes.dropFirst().prefix(5).elementsEqual("NUMPY".utf8) else { throw fail("not a .npy array") }
        let major = byte(6)
        let headerLength: Int, start: Int
        if major == 1 {
            headerLength = byte(8) | byte(9) << 8
            start = 10
        } else {
            guard bytes.count >= 12 else { throw fail("a truncated header") }
            headerLength = byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24
            start = 12
        }
        guard start + headerLength <= bytes.count else { throw fail("a header longer than the file") }
        let header = String(decoding: bytes.dropFirst(start).prefix(headerLength), as: UTF8.self)
        guard let descr = Self.quoted(after: "'descr':", in: header) ?? (header.contains("'descr': [") ? "record" : nil) else {
            throw fail("an unreadable dtype (\(header.prefix(80)))")
        }
        let fortran = header.contains("'fortran_order': True")
        guard let open = header.range(of: "'shape': (")?.upperBound, let close = header[open...].firstIndex(of: ")") else { throw fail("no shape") }
        var shape: [Int] = []
        for part in header[open..<close].split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let n = Int(text), n >= 0, n < 1 << 31 else { throw fail("a bad shape") }
            shape.append(n)
        }
        self.shape = shape
        let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
        let payload = bytes.dropFirst(start + headerLength)
        if descr == "record" {
            try readRecords(header: header, data: payload, count: count, fail: fail)
            return
        }
        let kind = descr.dropFirst()  // '<f8' -> 'f8'
        guard descr.first == "<" || descr.first == "|" || descr.first == "=" else { throw fail("big-endian data ('\(descr)')") }
        if kind.hasPrefix("U"), let width = Int(kind.dropFirst()), width > 0 {
            guard count <= payload.count / (4 * width) else { throw fail("fewer bytes than its shape needs") }
            strings = payload.withUnsafeBytes { raw in
                (0..<count).map { i in
                    var scalars = String.UnicodeScalarView()
                    for c in 0..<width {
                        let code = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: (i * width + c) * 4, as: UInt32.self))
                        if code == 0 { break }
                        scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                    }
                    return String(scalars)
                }
            }
            return
        }
        guard let kind = Kind(rawValue: kind) else { throw fail("dtype '\(descr)' is not supported") }
        guard count <= payload.count / kind.size else { throw fail("fewer bytes than its shape needs") }
        var values = payload.withUnsafeBytes { raw in
            [Double](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0..<count { out[i] = Self.number(raw, at: i * kind.size, kind: kind) }
                initialized = count
            }
        }
        if fortran && shape.count > 1 {
            // Column-major on disk: element (i, j, ...) sits at i + rows * (j + ...).
            var c = [Double](repeating: 0, count: count)
            var index = [Int](repeating: 0, count: shape.count)
            for position in 0..<count {
                var fortranOffset = 0, stride = 1
                for axis in 0..<shape.count {
                    fortranOffset += index[axis] * stride
                    stride *= shape[axis]
                }
                c[position] = values[fortranOffset]
                var axis = shape.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    if index[axis] < shape[axis] { break }
                    index[axis] = 0
                    axis -= 1
                }
            }
            values = c
        }
        self.values = values
    }

    /// One little-endian number of `kind` at byte `at` of `raw`.
    @inline(__always)
    static func number(_ raw: UnsafeRawBufferPointer, at: Int, kind: Kind) -> Double {
        switch kind {
        case .f8: Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
        case .f4: Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self))))
        case .i8: Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int64.self)))
        case .i4: Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int32.self)))
        case .u8: Double(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
        case .u4: Double(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        case .u1, .b1: Double(raw[at])
        }
    }

    /// `'descr': [('left_child', '<i8'), ..., ('', '|V7')]`: fields at running offsets (numpy packs them).
    mutating func readRecords(header: String, data: ArraySlice<UInt8>, count: Int, fail: (String) -> SlipwayError) throws(SlipwayError) {
        guard let open = header.range(of: "'descr': [")?.upperBound, let close = header[open...].range(of: "]")?.lowerBound else { throw fail("an unreadable record dtype") }
        var offset = 0
        for item in header[open..<close].components(separatedBy: "),") {
            let parts = item.split(separator: "'", omittingEmptySubsequences: false)
            // ('name', '<i8') splits into ["(", "name", ", ", "<i8", ")"].
            guard parts.count >= 4 else { continue }
            let name = String(parts[1]), type = parts[3]
            let kind = type.dropFirst()
            let size: Int
            if let known = Kind(rawValue: kind) {
                guard type.first == "<" || type.first == "|" else { throw fail("a big-endian field '\(name)'") }
                size = known.size
                fields[name] = (known, offset)
            } else if kind.hasPrefix("V"), let padding = Int(kind.dropFirst()), padding >= 0, padding < 1 << 16 {
                size = padding
            } else {
                throw fail("field '\(name)' has dtype '\(type)', which is not supported")
            }
            offset += size
        }
        guard offset > 0, count <= data.count / offset else { throw fail("fewer bytes than its records need") }
        recordSize = offset
        records = data.prefix(count * offset)
    }

    /// A field of every record, or `nil` when the records have no such field.
    func field(_ name: String) -> [Double]? {
        guard let (kind, offset) = fields[name] else { return nil }
        let (count, recordSize) = (count, recordSize)
        return records.withUnsafeBytes { raw in
            [Double](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0..<count { out[i] = Self.number(raw, at: i * recordSize + offset, kind: kind) }
                initialized = count
            }
        }
    }

    /// The quoted text after `key` in a header (`'descr': '<f8'` -> `<f8`); `nil` for a list.
    static func quoted(after key: String, in header: String) -> String? {
        guard let at = header.range(of: key)?.upperBound else { return nil }
        let rest = header[at...].drop { $0 == " " }
        guard rest.first == "'" else { return nil }
        let body = rest.dropFirst()
        guard let end = body.firstIndex(of: "'") else { return nil }
        return String(body[..<end])
    }
}
