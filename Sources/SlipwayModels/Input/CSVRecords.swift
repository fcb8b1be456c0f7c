import SlipwayCore

/// RFC 4180 CSV, read straight from bytes: fields separated by `,`, records ended by LF or CRLF, a
/// field in double quotes may hold commas, line breaks and doubled quotes (`""`). A quote only
/// opens a quoted field at the field's start (elsewhere it is an ordinary character, as in
/// Python's `csv`). Blank lines are skipped.
enum CSVRecords {
    static let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    /// The fields of the record at `i` as strings (a header row); `i` moves past the record.
    /// `nil` when `bytes` ends inside a quoted field.
    static func strings(_ bytes: UnsafeRawBufferPointer, at i: inout Int) -> [String]? {
        var fields: [String] = []
        var scratch: [UInt8] = []
        while true {
            guard let (start, end, escaped) = field(bytes, at: &i) else { return nil }
            let cell = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            if escaped { unescape(cell, into: &scratch) }
            fields.append(escaped ? String(decoding: scratch, as: UTF8.self) : String(decoding: cell, as: UTF8.self))
            guard endOfField(bytes, at: &i) else { return fields }
        }
    }

    /// One field at `i`: the bounds of its text (inside the quotes for a quoted field) and whether
    /// it holds doubled quotes. Leaves `i` at the byte after the field. `nil` for an unterminated quote.
    @inline(__always)
    static func field(_ bytes: UnsafeRawBufferPointer, at i: inout Int) -> (Int, Int, Bool)? {
        let n = bytes.count
        if i < n, bytes[i] == quote {
            i += 1
            let start = i
            var escaped = false
            while true {
                guard i < n else { return nil }
                if bytes[i] == quote {
                    if i + 1 < n, bytes[i + 1] == quote {
                        escaped = true
                        i += 2
                        continue
                    }
                    break
                }
                i += 1
            }
            let end = i
            i += 1
            // Python's csv keeps text after a closing quote (`"ab"c` is `abc`); so does this reader.
            let afterQuote = i
            while i < n, bytes[i] != comma, bytes[i] != lf, bytes[i] != cr { i += 1 }
            if i > afterQuote || escaped { return (start - 1, i, true) }  // read whole, quotes and all, by `unescape`
            return (start, end, false)
        }
        let start = i
        while i < n {
            let b = bytes[i]
            if b == comma || b == lf || b == cr { break }
            i += 1
        }
        return (start, i, false)
    }

    /// Steps over the separator after a field: true when another field of the record follows.
    @inline(__always)
    static func endOfField(_ bytes: UnsafeRawBufferPointer, at i: inout Int) -> Bool {
        guard i < bytes.count else { return false }
        let b = bytes[i]
        i += 1
        if b == comma { return true }
        if b == cr, i < bytes.count, bytes[i] == lf { i += 1 }
        return false
    }

    /// A quoted field's text (its quotes included) into `scratch` as Python's csv reads it: the
    /// quotes removed, doubled quotes inside them made single, text after the closing quote kept.
    static func unescape(_ cell: UnsafeRawBufferPointer, into scratch: inout [UInt8]) {
        scratch.removeAll(keepingCapacity: true)
        var k = 0
        var inQuotes = false
        while k < cell.count {
            let b = cell[k]
            if b == quote {
                if inQuotes, k + 1 < cell.count, cell[k + 1] == quote {
                    scratch.append(quote)
                    k += 2
                    continue
                }
                inQuotes.toggle()
                k += 1
                continue
            }
            scratch.append(b)
            k += 1
        }
    }

    /// Whether the record at `i` is a blank line; if so, `i` moves past it.
    @inline(__always)
    static func skipBlank(_ bytes: UnsafeRawBufferPointer, at i: inout Int) -> Bool {
        let b = bytes[i]
        if b == lf {
            i += 1
            return true
        }
        if b == cr {
            i += i + 1 < bytes.count && bytes[i + 1] == lf ? 2 : 1
            return true
        }
        return false
    }
}

/// A CSV chunk's records read into feature rows (missing values as NaN) and target values.
struct CSVChunkParser: Sendable {
    let columns: TableColumns

    /// Parses every record of `bytes`, which holds whole records.
    /// - Throws: ``CellError`` for a record of the wrong width, a cell that is not a number, or an unterminated quote.
    func parse(_ bytes: UnsafeRawBufferPointer, into rows: inout ParsedRows) throws(CellError) {
        let width = columns.header.count
        let featureCount = columns.featureCount
        let row = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(featureCount, 1))
        defer { row.deallocate() }
        var scratch: [UInt8] = []
        var i = 0
        let n = bytes.count
        try columns.destinations.withUnsafeBufferPointer { destinations throws(CellError) in
            while i < n {
                if CSVRecords.skipBlank(bytes, at: &i) {
                    rows.records += 1
                    continue
                }
                row.initialize(repeating: .nan)
                var column = 0
                while true {
                    let destination = column < width ? destinations[column] : TableColumns.skipped
                    let text = column < width ? columns.text[column] : nil
                    // The common case: an unquoted number, read where it stands and followed by a separator.
                    if destination >= 0, text == nil, let (value, end) = DecimalNumber.prefix(bytes, from: i),
                       end == n || bytes[end] == CSVRecords.comma || bytes[end] == CSVRecords.lf || bytes[end] == CSVRecords.cr {
                        row[Int(destination)] = value
                        i = end
                    } else {
                        guard let (start, end, escaped) = CSVRecords.field(bytes, at: &i) else {
                            throw CellError(record: rows.records, message: "has a quoted field that never ends")
                        }
                        if destination == TableColumns.id {
                            try rows.ids.append(id(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), escaped: escaped, column: column,
                                                   record: rows.records, scratch: &scratch))
                        } else if let text {
                            row[Int(destination)] = category(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), escaped: escaped, text, scratch: &scratch)
                        } else if destination != TableColumns.skipped {
                            let value = try cell(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), escaped: escaped, column: column,
                                                 target: destination < 0, record: rows.records, scratch: &scratch)
                            if destination >= 0 { row[Int(destination)] = value } else { rows.target.append(value) }
                        }
                    }
                    column += 1
                    guard CSVRecords.endOfField(bytes, at: &i) else { break }
                }
                guard column == width else {
                    throw CellError(record: rows.records, message: "has \(column) cells; the header has \(width)")
                }
                rows.features.append(contentsOf: UnsafeBufferPointer(rebasing: row[0..<featureCount]))
                rows.records += 1
                rows.rows += 1
            }
        }
    }

    /// A row's key: the id column's text, which may not be empty.
    func id(_ text: UnsafeRawBufferPointer, escaped: Bool, column: Int, record: Int, scratch: inout [UInt8]) throws(CellError) -> String {
        if escaped { CSVRecords.unescape(text, into: &scratch) }
        let value = escaped ? String(decoding: scratch, as: UTF8.self) : String(decoding: text, as: UTF8.self)
        guard !value.isEmpty else { throw CellError(record: record, message: "id column '\(columns.header[column])' is empty", aboutCell: true) }
        return value
    }

    /// A text feature's cell: its category's code, NaN for a missing token.
    func category(_ cell: UnsafeRawBufferPointer, escaped: Bool, _ text: TextCodes, scratch: inout [UInt8]) -> Double {
        if escaped { CSVRecords.unescape(cell, into: &scratch) }
        return escaped ? scratch.withUnsafeBytes { Self.category($0, text) } : Self.category(cell, text)
    }

    static func category(_ cell: UnsafeRawBufferPointer, _ text: TextCodes) -> Double {
        MissingCell.contains(cell) ? .nan : text.code(cell)
    }

    /// A cell that is not a plain number: quoted, a missing token, spaced, or wrong.
    func cell(
        _ text: UnsafeRawBufferPointer, escaped: Bool, column: Int, target: Bool, record: Int, scratch: inout [UInt8]
    ) throws(CellError) -> Double {
        if escaped { CSVRecords.unescape(text, into: &scratch) }
        let value = escaped ? scratch.withUnsafeBytes { numericCell($0) } : numericCell(text)
        if let value, !target || value.isFinite { return value }
        let shown = escaped ? scratch.withUnsafeBytes { CellError.shown($0) } : CellError.shown(text)
        let name = columns.header[column]
        throw CellError(
            record: record, message: target ? "the target '\(name)' is '\(shown)', not a number" : "column '\(name)': '\(shown)' is not a number",
            aboutCell: true)
    }
}

/// What a chunk's parse produced: row-major features, the target values, the ids, and how many
/// records (rows and skipped blank lines) it held.
struct ParsedRows {
    var features: [Double] = []
    var target: [Double] = []
    var ids: [String] = []
    var rows = 0
    var records = 0
}

/// A record that cannot be read: which record of its chunk, and what is wrong with it (`aboutCell`:
/// the message starts by naming a cell: "column 'a': ...").
struct CellError: Error {
    var record: Int
    var message: String
    var aboutCell = false

    /// A cell as shown in an error: decoded leniently and cut short.
    static func shown(_ cell: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: cell.prefix(60), as: UTF8.self)
        return cell.count > 60 ? text + "…" : text
    }
}
