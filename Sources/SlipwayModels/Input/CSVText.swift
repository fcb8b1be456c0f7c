public import SlipwayCore

/// A CSV file's records as text (RFC 4180, as `CSVRecords` reads them), for what checks values
/// rather than predicting from them: the header, then each row.
public enum CSVText {
    /// - Throws: INVALID_PARAMETER_VALUE for an empty file or an unterminated quote.
    public static func read(_ bytes: [UInt8], header: ([String]) -> Void, row: ([String]) -> Void) throws(SlipwayError) {
        let failure: SlipwayError? = bytes.withUnsafeBytes { buffer -> SlipwayError? in
            // A byte-order mark (spreadsheets write one) is not part of the first column's name.
            var i = buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF ? 3 : 0
            var line = 0
            var seenHeader = false
            while i < buffer.count {
                if CSVRecords.skipBlank(buffer, at: &i) { continue }
                line += 1
                guard let fields = CSVRecords.strings(buffer, at: &i) else {
                    return .invalidParameter("CSV record \(line) has an opening quote that never closes")
                }
                if seenHeader { row(fields) } else { header(fields) }
                seenHeader = true
            }
            return seenHeader ? nil : .invalidParameter("The CSV file is empty: no header")
        }
        if let failure { throw failure }
    }
}
