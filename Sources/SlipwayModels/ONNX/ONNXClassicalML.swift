import Foundation
import SlipwayCore

/// The `ai.onnx.ml` operators, computed as onnxruntime computes them (float outputs, its binary
/// classification conventions).
enum ONNXClassicalML {
    static func make(opType: String, opset: Int, attributes a: ONNXAttributes) throws(SlipwayError) -> (any ONNXOperator)? {
        switch opType {
        case "TreeEnsembleRegressor", "TreeEnsembleClassifier", "TreeEnsemble":
            return try ONNXTreeEnsemble(opType: opType, attributes: a)
        case "LinearRegressor", "LinearClassifier":
            return try ONNXLinear(opType: opType, attributes: a)
        case "Scaler":
            let scale = a.floats("scale").map(Double.init), offset = a.floats("offset").map(Double.init)
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0)
                let (rows, columns) = x.matrixShape
                let values = try x.numbers()
                func pick(_ list: [Double], _ c: Int, _ fallback: Double) throws(SlipwayError) -> Double {
                    if list.isEmpty { return fallback }
                    if list.count == 1 { return list[0] }
                    guard list.count == columns else { throw .invalidParameter("\(list.count) scales or offsets for \(columns) columns") }
                    return list[c]
                }
                var out = [Float](repeating: 0, count: values.count)
                for c in 0..<columns {
                    let s = try pick(scale, c, 1), o = try pick(offset, c, 0)
                    for r in 0..<rows { out[r * columns + c] = Float((values[r * columns + c] - o) * s) }
                }
                return [.tensor(ONNXTensor(shape: x.shape, .float(out)))]
            }
        case "Normalizer":
            let norm = a.string("norm", default: "MAX")
            guard ["MAX", "L1", "L2"].contains(norm) else { throw a.fail("unknown norm '\(norm)'") }
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0)
                let (rows, columns) = x.matrixShape
                let values = try x.numbers()
                var out = [Float](repeating: 0, count: values.count)
                for r in 0..<rows {
                    let row = values[(r * columns)..<((r + 1) * columns)]
                    let divisor: Double = switch norm {
                    case "L1": row.reduce(0) { $0 + abs($1) }
                    case "L2": row.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    default: row.max() ?? 1
                    }
                    for c in 0..<columns { out[r * columns + c] = Float(values[r * columns + c] / divisor) }
                }
                return [.tensor(ONNXTensor(shape: x.shape, .float(out)))]
            }
        case "Imputer":
            let floatsTo = a.floats("imputed_value_floats"), intsTo = a.ints("imputed_value_int64s")
            let replacedFloat = a.float("replaced_value_float", default: 0), replacedInt = a.int("replaced_value_int64", default: 0)
            guard !floatsTo.isEmpty || !intsTo.isEmpty else { throw a.fail("Imputer without imputed values") }
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0)
                let (_, columns) = x.matrixShape
                func value<T>(_ list: [T], _ i: Int) throws(SlipwayError) -> T {
                    guard list.count == 1 || list.count == columns else { throw .invalidParameter("\(list.count) imputed values for \(columns) columns") }
                    return list.count == 1 ? list[0] : list[i % columns]
                }
                switch x.elements {
                case .float(let v):
                    var out = v
                    for i in out.indices where out[i] == replacedFloat || (replacedFloat.isNaN && out[i].isNaN) { out[i] = try value(floatsTo, i) }
                    return [.tensor(ONNXTensor(shape: x.shape, .float(out)))]
                case .int64(let v):
                    var out = v
                    for i in out.indices where out[i] == replacedInt { out[i] = try value(intsTo, i) }
                    return [.tensor(ONNXTensor(shape: x.shape, .int64(out)))]
                default:
                    throw .invalidParameter("Imputer of \(x.typeName) is not supported")
                }
            }
        case "OneHotEncoder":
            let strings = a.strings("cats_strings"), ints = a.ints("cats_int64s"), zeros = a.int("zeros", default: 1) != 0
            guard strings.isEmpty != ints.isEmpty else { throw a.fail("needs either cats_strings or cats_int64s") }
            let textIndex = Dictionary(strings.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            let intIndex = Dictionary(ints.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            let width = max(strings.count, ints.count)
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0)
                var positions: [Int?]
                if case .string(let v) = x.elements {
                    positions = v.map { textIndex[$0] }
                } else {
                    guard let v = x.int64s else { throw .invalidParameter("OneHotEncoder of \(x.typeName)") }
                    positions = v.map { intIndex[$0] }
                }
                if !zeros, positions.contains(where: { $0 == nil }) { throw .invalidParameter("a category the encoder does not know") }
                var out = [Float](repeating: 0, count: positions.count * width)
                for (i, p) in positions.enumerated() { if let p { out[i * width + p] = 1 } }
                return [.tensor(ONNXTensor(shape: x.shape + [width], .float(out)))]
            }
        case "LabelEncoder":
            return try ONNXLabelEncoder(opset: opset, attributes: a)
        case "ZipMap":
            let strings = a.strings("classlabels_strings"), ints = a.ints("classlabels_int64s")
            let keys = strings.isEmpty ? ONNXTensor(shape: [ints.count], .int64(ints)) : ONNXTensor(shape: [strings.count], .string(strings))
            guard keys.count > 0 else { throw a.fail("ZipMap without class labels") }
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0)
                guard x.matrixShape.columns == keys.count, let values = x.floats else {
                    throw .invalidParameter("ZipMap of \(x.shape) for \(keys.count) labels")
                }
                return [.probabilityMaps(ONNXTensor(shape: [x.matrixShape.rows, keys.count], .float(values)), keys: keys)]
            }
        case "ArrayFeatureExtractor":
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0)
                guard let indices = try ONNXOperators.tensor(inputs, 1).int64s, let last = x.shape.last else { throw .invalidParameter("bad inputs") }
                let outer = x.count / max(last, 1)
                var picks: [Int] = []
                for o in 0..<outer {
                    for i in indices {
                        guard i >= 0, i < last else { throw .invalidParameter("index \(i) is out of range for \(last) columns") }
                        picks.append(o * last + Int(i))
                    }
                }
                let shape = x.shape.count == 1 ? [indices.count] : Array(x.shape.dropLast()) + [indices.count]
                return [.tensor(x.picking(picks, shape: shape))]
            }
        case "Binarizer":
            let threshold = Double(a.float("threshold", default: 0))
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0)
                return [.tensor(x.withNumbers(try x.numbers().map { $0 > threshold ? 1 : 0 }, shape: x.shape))]
            }
        case "FeatureVectorizer":
            let dimensions = a.ints("inputdimensions").map { Int($0) }
            return ONNXKernel { inputs throws(SlipwayError) in
                let tensors = try inputs.indices.map { i throws(SlipwayError) in try ONNXOperators.tensor(inputs, i) }
                guard let rows = tensors.first?.matrixShape.rows, dimensions.count == tensors.count else { throw .invalidParameter("inputs do not match inputdimensions") }
                let width = dimensions.reduce(0, +)
                var out = [Float](repeating: 0, count: rows * width)
                var offset = 0
                for (t, d) in zip(tensors, dimensions) {
                    let values = try t.numbers(), columns = t.matrixShape.columns
                    guard t.matrixShape.rows == rows else { throw .invalidParameter("inputs with different row counts") }
                    for r in 0..<rows { for c in 0..<min(d, columns) { out[r * width + offset + c] = Float(values[r * columns + c]) } }
                    offset += d
                }
                return [.tensor(ONNXTensor(shape: [rows, width], .float(out)))]
            }
        default:
            return nil
        }
    }
}

/// LabelEncoder: a map from keys to values with a default, for every key and value type the
/// opsets define (strings, integers, floats; keys and values also as tensors from opset 4).
struct ONNXLabelEncoder: ONNXOperator {
    enum Key: Hashable { case text(String), integer(Int64), number(Float) }

    let table: [Key: Int]
    let values: ONNXTensor
    let defaultValue: ONNXTensor

    init(opset: Int, attributes a: ONNXAttributes) throws(SlipwayError) {
        var keys: [Key]
        var values: ONNXTensor
        var fallback: ONNXTensor
        if opset < 2 {
            // Strings to integers or back: classes_strings gives each class its index.
            let classes = a.strings("classes_strings")
            keys = classes.map { .text($0) }
            values = ONNXTensor(shape: [classes.count], .int64(classes.indices.map(Int64.init)))
            fallback = ONNXTensor(shape: [1], .int64([a.int("default_int64", default: -1)]))
        } else {
            if let k = try a.tensor("keys_tensor") {
                keys = try Self.keys(k)
            } else if a.has("keys_strings") {
                keys = a.strings("keys_strings").map { .text($0) }
            } else if a.has("keys_int64s") {
                keys = a.ints("keys_int64s").map { .integer($0) }
            } else {
                keys = a.floats("keys_floats").map { .number($0) }
            }
            if let v = try a.tensor("values_tensor") {
                values = v
            } else if a.has("values_strings") {
                values = ONNXTensor(shape: [a.strings("values_strings").count], .string(a.strings("values_strings")))
            } else if a.has("values_int64s") {
                values = ONNXTensor(shape: [a.ints("values_int64s").count], .int64(a.ints("values_int64s")))
            } else {
                values = ONNXTensor(shape: [a.floats("values_floats").count], .float(a.floats("values_floats")))
            }
            switch values.elements {
            case .string: fallback = ONNXTensor(shape: [1], .string([a.string("default_string", default: "_Unused")]))
            case .int64: fallback = ONNXTensor(shape: [1], .int64([a.int("default_int64", default: -1)]))
            default: fallback = try ONNXTensor(shape: [1], .float([a.float("default_float", default: -0.0)])).cast(to: values.typeName == "double" ? 11 : 1)
            }
            if let d = try a.tensor("default_tensor") { fallback = d }
        }
        guard keys.count == values.count, !keys.isEmpty else { throw a.fail("\(keys.count) keys for \(values.count) values") }
        var table: [Key: Int] = [:]
        for (i, key) in keys.enumerated() where table[key] == nil { table[key] = i }
        self.table = table
        self.values = values
        self.defaultValue = fallback
    }

    static func keys(_ tensor: ONNXTensor) throws(SlipwayError) -> [Key] {
        switch tensor.elements {
        case .string(let v): v.map { .text($0) }
        case .int64(let v): v.map { .integer($0) }
        default: (tensor.floats ?? []).map { .number($0) }
        }
    }

    func run(_ inputs: [ONNXValue?], threads: Int) throws(SlipwayError) -> [ONNXValue] {
        let x = try ONNXOperators.tensor(inputs, 0)
        let keys = try Self.keys(x)
        let missing = values.count
        let all = try ONNXShapeOperators.concat([values.reshaped([values.count]), defaultValue.reshaped([1])], axis: 0)
        return [.tensor(all.picking(keys.map { table[$0] ?? missing }, shape: x.shape))]
    }
}
