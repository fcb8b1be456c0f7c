import Foundation
import SlipwayCore

/// An operator that is a function of its inputs, with nothing built at load time but its attributes.
struct ONNXKernel: ONNXOperator {
    let body: @Sendable ([ONNXValue?]) throws(SlipwayError) -> [ONNXValue]

    func run(_ inputs: [ONNXValue?], threads: Int) throws(SlipwayError) -> [ONNXValue] {
        try body(inputs)
    }
}

/// The operators Slipway runs: classical ML (`ai.onnx.ml`) and the arithmetic and shape operators
/// the converters' graphs use around them (`ai.onnx`).
enum ONNXOperators {
    /// nil when the operator is not supported.
    static func make(domain: String, opType: String, opset: Int, attributes a: ONNXAttributes) throws(SlipwayError) -> (any ONNXOperator)? {
        if domain == "ai.onnx.ml" { return try ONNXClassicalML.make(opType: opType, opset: opset, attributes: a) }
        guard domain.isEmpty else { return nil }
        if let arithmetic = ONNXArithmetic.make(opType) { return arithmetic }
        if let unary = ONNXUnary.make(opType) { return unary }
        switch opType {
        case "Identity":
            return ONNXKernel { inputs throws(SlipwayError) in [try value(inputs, 0)] }
        case "Constant":
            guard let tensor = try a.tensor("value") ?? constantList(a) else { throw a.fail("Constant without a value") }
            return ONNXKernel { _ in [.tensor(tensor)] }
        case "Cast":
            let to = Int(a.int("to", default: 1))
            _ = try ONNXTensor(shape: [0], .float([])).cast(to: to)
            return ONNXKernel { inputs throws(SlipwayError) in [.tensor(try tensor(inputs, 0).cast(to: to))] }
        case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Concat", "Gather", "Shape", "Transpose":
            return try ONNXShapeOperators.make(opType: opType, opset: opset, attributes: a)
        case "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ArgMax", "ArgMin", "Softmax", "MatMul", "Gemm", "Clip", "Where":
            return try ONNXMatrixOperators.make(opType: opType, opset: opset, attributes: a)
        default:
            return nil
        }
    }

    static func constantList(_ a: ONNXAttributes) -> ONNXTensor? {
        if let v = a.float("value_float") { return ONNXTensor(shape: [], .float([v])) }
        if let v = a.int("value_int") { return ONNXTensor(shape: [], .int64([v])) }
        if a.has("value_floats") { let v = a.floats("value_floats"); return ONNXTensor(shape: [v.count], .float(v)) }
        if a.has("value_ints") { let v = a.ints("value_ints"); return ONNXTensor(shape: [v.count], .int64(v)) }
        if let v = a.string("value_string") { return ONNXTensor(shape: [], .string([v])) }
        return nil
    }

    static func value(_ inputs: [ONNXValue?], _ index: Int) throws(SlipwayError) -> ONNXValue {
        guard index < inputs.count, let value = inputs[index] else { throw .invalidParameter("input \(index) is missing") }
        return value
    }

    static func tensor(_ inputs: [ONNXValue?], _ index: Int) throws(SlipwayError) -> ONNXTensor {
        try value(inputs, index).tensor
    }

    /// An optional input, nil when left out.
    static func optionalTensor(_ inputs: [ONNXValue?], _ index: Int) -> ONNXTensor? {
        index < inputs.count ? inputs[index]?.tensor : nil
    }
}

/// NumPy-style broadcasting of two shapes, and the element of each input every output element reads.
enum ONNXBroadcast {
    static func shape(_ a: [Int], _ b: [Int]) throws(SlipwayError) -> [Int] {
        let rank = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a, pb = [Int](repeating: 1, count: rank - b.count) + b
        var out: [Int] = []
        for (x, y) in zip(pa, pb) {
            guard x == y || x == 1 || y == 1 else { throw .invalidParameter("shapes \(a) and \(b) do not broadcast") }
            out.append(x == 1 ? y : x)
        }
        return out
    }

    /// For each element of `output`, the index of the element of a tensor of `shape` it reads.
    static func indices(of shape: [Int], in output: [Int]) -> [Int] {
        let count = output.reduce(1, *)
        if shape == output { return Array(0..<count) }
        if shape.reduce(1, *) == 1 { return [Int](repeating: 0, count: count) }
        let padded = [Int](repeating: 1, count: output.count - shape.count) + shape
        var strides = [Int](repeating: 0, count: output.count)
        var step = 1
        for d in stride(from: output.count - 1, through: 0, by: -1) {
            strides[d] = padded[d] == 1 ? 0 : step
            step *= padded[d]
        }
        var result = [Int](repeating: 0, count: count)
        var position = [Int](repeating: 0, count: output.count)
        var index = 0
        for i in 0..<count {
            result[i] = index
            var d = output.count - 1
            while d >= 0 {
                position[d] += 1
                index += strides[d]
                if position[d] < output[d] { break }
                index -= strides[d] * position[d]
                position[d] = 0
                d -= 1
            }
        }
        return result
    }

    /// Applies `f` elementwise over the broadcast of `a` and `b`.
    static func map<A, B, C>(_ a: [A], _ sa: [Int], _ b: [B], _ sb: [Int], _ f: (A, B) -> C) throws(SlipwayError) -> ([C], [Int]) {
        if sa == sb { return (zip(a, b).map(f), sa) }
        let out = try shape(sa, sb)
        let ia = indices(of: sa, in: out), ib = indices(of: sb, in: out)
        return (zip(ia, ib).map { f(a[$0], b[$1]) }, out)
    }
}

/// Elementwise arithmetic and comparisons with broadcasting: Add, Sub, Mul, Div, Pow, Max, Min,
/// Sum, Mean, Equal, Less, Greater, LessOrEqual, GreaterOrEqual, And, Or.
enum ONNXArithmetic {
    static func make(_ opType: String) -> (any ONNXOperator)? {
        let variadic = ["Max", "Min", "Sum", "Mean"].contains(opType)
        guard variadic || ["Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or"].contains(opType) else {
            return nil
        }
        return ONNXKernel { inputs throws(SlipwayError) in
            let tensors = try inputs.indices.map { i throws(SlipwayError) in try ONNXOperators.tensor(inputs, i) }
            guard var result = tensors.first, variadic || tensors.count == 2 else { throw .invalidParameter("needs two inputs") }
            for next in tensors.dropFirst() {
                result = try apply(opType == "Mean" ? "Sum" : opType, result, next)
            }
            if opType == "Mean" { result = try apply("Div", result, ONNXTensor(shape: [], .double([Double(tensors.count)])).cast(to: elementType(result))) }
            return [.tensor(result)]
        }
    }

    static func elementType(_ t: ONNXTensor) -> Int {
        switch t.elements {
        case .float: 1
        case .double: 11
        case .int64: 7
        case .string: 8
        case .bool: 9
        }
    }

    static func apply(_ op: String, _ a: ONNXTensor, _ b: ONNXTensor) throws(SlipwayError) -> ONNXTensor {
        switch (a.elements, b.elements) {
        case (.float(let x), .float(let y)): return try floating(op, x, a.shape, y, b.shape)
        case (.double(let x), .double(let y)): return try floating(op, x, a.shape, y, b.shape)
        case (.float(let x), _) where op == "Pow": return try floating(op, x, a.shape, b.floats ?? [], b.shape)
        case (.double(let x), _) where op == "Pow": return try floating(op, x, a.shape, b.doubles ?? [], b.shape)
        case (.int64(let x), .int64(let y)): return try integer(op, x, a.shape, y, b.shape)
        case (.bool(let x), .bool(let y)) where op == "And" || op == "Or" || op == "Equal":
            let (v, s) = try ONNXBroadcast.map(x, a.shape, y, b.shape) { op == "And" ? $0 && $1 : op == "Or" ? $0 || $1 : $0 == $1 }
            return ONNXTensor(shape: s, .bool(v))
        case (.string(let x), .string(let y)) where op == "Equal":
            let (v, s) = try ONNXBroadcast.map(x, a.shape, y, b.shape, ==)
            return ONNXTensor(shape: s, .bool(v))
        default:
            throw .invalidParameter("\(op) of \(a.typeName) and \(b.typeName) is not supported")
        }
    }

    static func floating<T: BinaryFloatingPoint & Sendable>(_ op: String, _ x: [T], _ sx: [Int], _ y: [T], _ sy: [Int]) throws(SlipwayError) -> ONNXTensor {
        func wrap(_ values: [T], _ shape: [Int]) -> ONNXTensor {
            if let f = values as? [Float] { return ONNXTensor(shape: shape, .float(f)) }
            return ONNXTensor(shape: shape, .double(values as! [Double]))
        }
        func compare(_ f: (T, T) -> Bool) throws(SlipwayError) -> ONNXTensor {
            let (v, s) = try ONNXBroadcast.map(x, sx, y, sy, f)
            return ONNXTensor(shape: s, .bool(v))
        }
        let f: (T, T) -> T
        switch op {
        case "Add", "Sum": f = (+)
        case "Sub": f = (-)
        case "Mul": f = (*)
        case "Div": f = (/)
        case "Pow": f = { T(Foundation.pow(Double($0), Double($1))) }
        case "Max": f = { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
        case "Min": f = { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
        case "Equal": return try compare(==)
        case "Less": return try compare(<)
        case "Greater": return try compare(>)
        case "LessOrEqual": return try compare(<=)
        case "GreaterOrEqual": return try compare(>=)
        default: throw .invalidParameter("\(op) of floating-point tensors is not supported")
        }
        let (v, s) = try ONNXBroadcast.map(x, sx, y, sy, f)
        return wrap(v, s)
    }

    static func integer(_ op: String, _ x: [Int64], _ sx: [Int], _ y: [Int64], _ sy: [Int]) throws(SlipwayError) -> ONNXTensor {
        func compare(_ f: (Int64, Int64) -> Bool) throws(SlipwayError) -> ONNXTensor {
            let (v, s) = try ONNXBroadcast.map(x, sx, y, sy, f)
            return ONNXTensor(shape: s, .bool(v))
        }
        let f: (Int64, Int64) -> Int64
        switch op {
        case "Add", "Sum": f = (&+)
        case "Sub": f = (&-)
        case "Mul": f = (&*)
        case "Div": f = { $1 == 0 ? 0 : ($0 == .min && $1 == -1 ? .min : $0 / $1) }
        case "Pow": f = { ONNXTensor.truncate(Foundation.pow(Double($0), Double($1))) }
        case "Max": f = { Swift.max($0, $1) }
        case "Min": f = { Swift.min($0, $1) }
        case "Equal": return try compare(==)
        case "Less": return try compare(<)
        case "Greater": return try compare(>)
        case "LessOrEqual": return try compare(<=)
        case "GreaterOrEqual": return try compare(>=)
        default: throw .invalidParameter("\(op) of integer tensors is not supported")
        }
        let (v, s) = try ONNXBroadcast.map(x, sx, y, sy, f)
        return ONNXTensor(shape: s, .int64(v))
    }
}

/// Elementwise functions of one tensor.
enum ONNXUnary {
    static func make(_ opType: String) -> (any ONNXOperator)? {
        let f: (@Sendable (Double) -> Double)?
        switch opType {
        case "Neg": f = { -$0 }
        case "Abs": f = { Swift.abs($0) }
        case "Exp": f = { Foundation.exp($0) }
        case "Log": f = { Foundation.log($0) }
        case "Sqrt": f = { $0.squareRoot() }
        case "Reciprocal": f = { 1 / $0 }
        case "Floor": f = { $0.rounded(.down) }
        case "Ceil": f = { $0.rounded(.up) }
        case "Tanh": f = { Foundation.tanh($0) }
        case "Relu": f = { Swift.max($0, 0) }
        case "Sigmoid": f = { 1 / (1 + Foundation.exp(-$0)) }
        case "Erf": f = { Foundation.erf($0) }
        case "Not": f = nil
        default: return nil
        }
        return ONNXKernel { inputs throws(SlipwayError) in
            let x = try ONNXOperators.tensor(inputs, 0)
            switch x.elements {
            case .float(let v): return [.tensor(ONNXTensor(shape: x.shape, .float(v.map { Float(f!(Double($0))) })))]
            case .double(let v): return [.tensor(ONNXTensor(shape: x.shape, .double(v.map(f!))))]
            case .int64(let v) where opType == "Neg" || opType == "Abs" || opType == "Relu":
                return [.tensor(ONNXTensor(shape: x.shape, .int64(v.map { opType == "Neg" ? 0 &- $0 : opType == "Abs" ? ($0 < 0 ? 0 &- $0 : $0) : Swift.max($0, 0) })))]
            case .bool(let v) where opType == "Not": return [.tensor(ONNXTensor(shape: x.shape, .bool(v.map { !$0 })))]
            default: throw .invalidParameter("\(opType) of \(x.typeName) is not supported")
            }
        }
    }
}
