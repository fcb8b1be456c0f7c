public import SlipwayCore

/// Predictions as the bytes of a CSV or JSON lines file, written a chunk at a time. Numbers are
/// written in the shortest form that reads back as the same Double.
public struct PredictionWriter: Sendable {
    public let format: TableFormat
    /// Outputs per row: 1, or one probability per class.
    public let width: Int
    /// Text classes, written in place of the class index each output holds (one output per row).
    public let labels: [String]

    public init(format: TableFormat, width: Int, labels: [String] = []) {
        self.format = format
        self.width = max(1, width)
        self.labels = width == 1 ? labels : []
    }

    /// What comes before the first row: CSV's header (`prediction`, or `p0,p1,...`).
    public var header: [UInt8] {
        guard format == .csv else { return [] }
        return Array(((width == 1 ? "prediction" : (0..<width).map { "p\($0)" }.joined(separator: ",")) + "\n").utf8)
    }

    /// Appends one line per row of `predictions` (`rows * width` values, row-major): CSV cells, or
    /// `{"prediction":0.25}` / `{"probabilities":[0.1,0.9]}` JSON lines.
    public func append(_ predictions: [Double], to out: inout [UInt8]) {
        out.reserveCapacity(out.count + predictions.count * 20)
        let rows = predictions.count / width
        switch format {
        case .csv:
            for r in 0..<rows {
                if let label = label(predictions[r * width]) {
                    Self.appendCell(label, to: &out)
                    out.append(UInt8(ascii: "\n"))
                    continue
                }
                for k in 0..<width {
                    if k > 0 { out.append(UInt8(ascii: ",")) }
                    Self.appendShortest(predictions[r * width + k], to: &out)
                }
                out.append(UInt8(ascii: "\n"))
            }
        case .jsonLines:
            for r in 0..<rows {
                if width == 1 {
                    out.append(contentsOf: #"{"prediction":"#.utf8)
                    if let label = label(predictions[r]) {
                        JSONWriter.writeString(label, into: &out)
                    } else {
                        JSONWriter.writeNumber(predictions[r], into: &out)
                    }
                    out.append(contentsOf: "}\n".utf8)
                } else {
                    out.append(contentsOf: #"{"probabilities":["#.utf8)
                    for k in 0..<width {
                        if k > 0 { out.append(UInt8(ascii: ",")) }
                        JSONWriter.writeNumber(predictions[r * width + k], into: &out)
                    }
                    out.append(contentsOf: "]}\n".utf8)
                }
            }
        }
    }

    /// The class an output names, when the classes are text.
    func label(_ output: Double) -> String? {
        guard !labels.isEmpty, let index = Int(exactly: output), labels.indices.contains(index) else { return nil }
        return labels[index]
    }

    /// A CSV cell: quoted, its quotes doubled, when it holds a comma, a quote or a line break.
    static func appendCell(_ text: String, to out: inout [UInt8]) {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }) else {
            out.append(contentsOf: text.utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The shortest decimal that reads back as `value` (Swift's own round-trip form: `0.1`,
    /// `1e-05`, `nan`, `inf`).
    @inline(__always)
    static func appendShortest(_ value: Double, to out: inout [UInt8]) {
        var text = value.description
        text.withUTF8 { out.append(contentsOf: $0) }
    }
}
