import SlipwayCore

/// LinearRegressor and LinearClassifier: scores = X · coefficientsᵀ + intercepts, then labels and
/// the post transform as onnxruntime applies them (one score per row of two classes becomes
/// [1 - s, s]).
struct ONNXLinear: ONNXOperator {
    let coefficients: [Double]
    let intercepts: [Double]
    let outputs: Int
    let transform: ONNXTreeEnsemble.Transform
    /// A classifier's labels (int64 or string); nil for a regressor.
    let labels: ONNXTensor?

    init(opType: String, attributes a: ONNXAttributes) throws(SlipwayError) {
        coefficients = a.floats("coefficients").map(Double.init)
        let name = a.string("post_transform", default: "NONE")
        guard let transform = ONNXTreeEnsemble.Transform(rawValue: name) else { throw a.fail("unknown post_transform '\(name)'") }
        self.transform = transform
        if opType == "LinearRegressor" {
            outputs = Int(clamping: a.int("targets", default: 1))
            intercepts = a.has("intercepts") ? a.floats("intercepts").map(Double.init) : [Double](repeating: 0, count: max(outputs, 0))
            labels = nil
        } else {
            intercepts = a.floats("intercepts").map(Double.init)
            outputs = intercepts.count
            let strings = a.strings("classlabels_strings"), ints = a.ints("classlabels_ints")
            guard strings.isEmpty != ints.isEmpty else { throw a.fail("needs classlabels_strings or classlabels_ints") }
            labels = strings.isEmpty ? ONNXTensor(shape: [ints.count], .int64(ints)) : ONNXTensor(shape: [strings.count], .string(strings))
        }
        guard outputs > 0, intercepts.count == outputs, !coefficients.isEmpty, coefficients.count % outputs == 0 else {
            throw a.fail("\(coefficients.count) coefficients and \(intercepts.count) intercepts for \(outputs) outputs")
        }
    }

    func run(_ inputs: [ONNXValue?], threads: Int) throws(SlipwayError) -> [ONNXValue] {
        let x = try ONNXOperators.tensor(inputs, 0)
        let values = try x.numbers()
        let (rows, columns) = x.shape.count == 1 ? (1, x.count) : x.matrixShape
        guard columns * outputs == coefficients.count else {
            throw .invalidParameter("rows of \(columns) features for \(coefficients.count / outputs) coefficients per output")
        }
        var scores = [Float](repeating: 0, count: rows * outputs)
        for r in 0..<rows {
            for k in 0..<outputs {
                var sum = intercepts[k]
                for c in 0..<columns { sum += values[r * columns + c] * coefficients[k * columns + c] }
                scores[r * outputs + k] = Float(sum)
            }
        }
        guard let labels else {
            if transform != .none {
                for r in 0..<rows {
                    var row = Array(scores[(r * outputs)..<((r + 1) * outputs)])
                    if outputs == 1 { if transform == .probit { row[0] = ONNXTreeEnsemble.probit(row[0]) } } else { ONNXTreeEnsemble.writeScores(&row, transform, addSecondClass: -1) }
                    scores.replaceSubrange((r * outputs)..<((r + 1) * outputs), with: row)
                }
            }
            return [.tensor(ONNXTensor(shape: [rows, outputs], .float(scores)))]
        }
        let twoLabels = labels.count == 2
        let addSecond = outputs == 1 && twoLabels
        var picked: [Int] = []
        var out: [Float] = []
        for r in 0..<rows {
            var row = Array(scores[(r * outputs)..<((r + 1) * outputs)])
            if outputs == 1 {
                picked.append(row[0] > 0 ? 1 : 0)
            } else {
                var best = 0
                for k in 1..<outputs where row[k] > row[best] { best = k }
                picked.append(best)
            }
            if outputs > 1 || transform == .probit {
                ONNXTreeEnsemble.writeScores(&row, transform, addSecondClass: -1)
            } else if addSecond {
                row = [1 - row[0], row[0]]
            }
            out.append(contentsOf: row)
        }
        let labelTensor: ONNXTensor
        switch labels.elements {
        case .string(let names):
            labelTensor = ONNXTensor(shape: [rows], .string(picked.map { outputs > 1 || twoLabels ? names[$0] : ($0 == 1 ? "1" : "0") }))
        default:
            let ints = labels.int64s!
            labelTensor = ONNXTensor(shape: [rows], .int64(picked.map { outputs > 1 || twoLabels ? ints[$0] : Int64($0) }))
        }
        return [.tensor(labelTensor), .tensor(ONNXTensor(shape: [rows, addSecond ? 2 : outputs], .float(out)))]
    }
}
