import Foundation
import SlipwayCore

extension ONNXTensor {
    /// Numbers computed in double precision, stored back in this tensor's floating-point type
    /// (an integer tensor's results are truncated).
    func withNumbers(_ values: [Double], shape: [Int]) -> ONNXTensor {
        switch elements {
        case .float: ONNXTensor(shape: shape, .float(values.map(Float.init)))
        case .int64: ONNXTensor(shape: shape, .int64(values.map(ONNXTensor.truncate)))
        default: ONNXTensor(shape: shape, .double(values))
        }
    }

    func numbers() throws(SlipwayError) -> [Double] {
        guard let values = doubles else { throw .invalidParameter("a \(typeName) tensor where numbers are needed") }
        return values
    }
}

/// Reductions along axes, ArgMax and ArgMin, Softmax, MatMul, Gemm, Clip and Where.
enum ONNXMatrixOperators {
    static func make(opType: String, opset: Int, attributes a: ONNXAttributes) throws(SlipwayError) -> (any ONNXOperator)? {
        switch opType {
        case "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin":
            let axesInInput = opType == "ReduceSum" ? opset >= 13 : opset >= 18
            let attributeAxes = a.ints("axes"), keep = a.int("keepdims", default: 1) != 0
            let noopWhenEmpty = a.int("noop_with_empty_axes", default: 0) != 0
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0)
                let axes = axesInInput ? (ONNXOperators.optionalTensor(inputs, 1)?.int64s ?? []) : attributeAxes
                if axes.isEmpty && noopWhenEmpty { return [.tensor(x)] }
                let reduced = axes.isEmpty ? Set(0..<x.shape.count) : try Set(axes.map { v throws(SlipwayError) in try ONNXTensor.axis(v, rank: x.shape.count) })
                return [.tensor(try reduce(x, over: reduced, keep: keep, opType: opType))]
            }
        case "ArgMax", "ArgMin":
            let axis = a.int("axis", default: 0), keep = a.int("keepdims", default: 1) != 0, last = a.int("select_last_index", default: 0) != 0
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0)
                let values = try x.numbers()
                let at = try ONNXTensor.axis(axis, rank: x.shape.count)
                let outer = x.shape[..<at].reduce(1, *), size = x.shape[at], inner = x.shape[(at + 1)...].reduce(1, *)
                var out: [Int64] = []
                for o in 0..<outer {
                    for i in 0..<inner {
                        var best = 0
                        for k in 1..<max(size, 1) {
                            let v = values[(o * size + k) * inner + i], b = values[(o * size + best) * inner + i]
                            if opType == "ArgMax" ? (v > b || (last && v == b)) : (v < b || (last && v == b)) { best = k }
                        }
                        out.append(Int64(best))
                    }
                }
                var shape = x.shape
                if keep { shape[at] = 1 } else { shape.remove(at: at) }
                return [.tensor(ONNXTensor(shape: shape, .int64(out)))]
            }
        case "Softmax":
            let axis = a.int("axis", default: opset >= 13 ? -1 : 1)
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0)
                var values = try x.numbers()
                let at = try ONNXTensor.axis(axis, rank: x.shape.count)
                // Before opset 13 the input is read as a matrix [before axis, from axis on].
                let size = opset >= 13 ? x.shape[at] : x.shape[at...].reduce(1, *)
                let inner = opset >= 13 ? x.shape[(at + 1)...].reduce(1, *) : 1
                let outer = x.count / max(size * inner, 1)
                for o in 0..<outer {
                    for i in 0..<inner {
                        let index = { (k: Int) in (o * size + k) * inner + i }
                        let top = (0..<size).map { values[index($0)] }.max() ?? 0
                        var sum = 0.0
                        for k in 0..<size { values[index(k)] = exp(values[index(k)] - top); sum += values[index(k)] }
                        for k in 0..<size { values[index(k)] /= sum }
                    }
                }
                return [.tensor(x.withNumbers(values, shape: x.shape))]
            }
        case "MatMul", "Gemm":
            let transA = a.int("transA", default: 0) != 0, transB = a.int("transB", default: 0) != 0
            let alpha = Double(a.float("alpha", default: 1)), beta = Double(a.float("beta", default: 1))
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0), y = try ONNXOperators.tensor(inputs, 1)
                var product = try multiply(x, y, transA: transA, transB: transB, alpha: opType == "Gemm" ? alpha : 1)
                if opType == "Gemm", let c = ONNXOperators.optionalTensor(inputs, 2) {
                    let bias = try c.numbers()
                    let (sum, shape) = try ONNXBroadcast.map(product.values, product.shape, bias.map { $0 * beta }, c.shape, +)
                    product = (sum, shape)
                }
                return [.tensor(x.withNumbers(product.values, shape: product.shape))]
            }
        case "Clip":
            let low = opset < 11 ? a.float("min").map(Double.init) : nil, high = opset < 11 ? a.float("max").map(Double.init) : nil
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0)
                var lo = low ?? -.infinity, hi = high ?? .infinity
                if let bound = try ONNXOperators.optionalTensor(inputs, 1)?.numbers().first { lo = bound }
                if let bound = try ONNXOperators.optionalTensor(inputs, 2)?.numbers().first { hi = bound }
                return [.tensor(x.withNumbers(try x.numbers().map { $0.isNaN ? $0 : Swift.min(Swift.max($0, lo), hi) }, shape: x.shape))]
            }
        case "Where":
            return ONNXKernel { inputs throws(SlipwayError) in
                let condition = try ONNXOperators.tensor(inputs, 0), x = try ONNXOperators.tensor(inputs, 1), y = try ONNXOperators.tensor(inputs, 2)
                guard x.typeName == y.typeName, let flags = condition.doubles else { throw .invalidParameter("Where of \(x.typeName) and \(y.typeName)") }
                let shape = try ONNXBroadcast.shape(try ONNXBroadcast.shape(condition.shape, x.shape), y.shape)
                let ic = ONNXBroadcast.indices(of: condition.shape, in: shape)
                let ix = ONNXBroadcast.indices(of: x.shape, in: shape), iy = ONNXBroadcast.indices(of: y.shape, in: shape)
                let both = try ONNXShapeOperators.concat([x.reshaped([x.count]), y.reshaped([y.count])], axis: 0)
                return [.tensor(both.picking((0..<ic.count).map { flags[ic[$0]] != 0 ? ix[$0] : x.count + iy[$0] }, shape: shape))]
            }
        default:
            return nil
        }
    }

    static func reduce(_ x: ONNXTensor, over axes: Set<Int>, keep: Bool, opType: String) throws(SlipwayError) -> ONNXTensor {
        let values = try x.numbers()
        let outShape = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        var out = [Double](repeating: opType == "ReduceMax" ? -.infinity : opType == "ReduceMin" ? .infinity : 0, count: outShape.reduce(1, *))
        var outStrides = [Int](repeating: 0, count: x.shape.count)
        var stride = 1
        for d in Swift.stride(from: x.shape.count - 1, through: 0, by: -1) {
            outStrides[d] = axes.contains(d) ? 0 : stride
            stride *= outShape[d]
        }
        var position = [Int](repeating: 0, count: x.shape.count)
        for i in 0..<x.count {
            let o = zip(position, outStrides).reduce(0) { $0 + $1.0 * $1.1 }
            switch opType {
            case "ReduceMax": out[o] = Swift.max(out[o], values[i])
            case "ReduceMin": out[o] = Swift.min(out[o], values[i])
            default: out[o] += values[i]
            }
            var d = x.shape.count - 1
            while d >= 0 {
                position[d] += 1
                if position[d] < x.shape[d] { break }
                position[d] = 0
                d -= 1
            }
        }
        if opType == "ReduceMean" {
            let n = Double(x.count / Swift.max(out.count, 1))
            out = out.map { $0 / n }
        }
        let shape = keep ? outShape : x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        return x.withNumbers(out, shape: shape)
    }

    /// A 2-D (or vector) matrix product, `alpha * op(A) op(B)`.
    static func multiply(_ x: ONNXTensor, _ y: ONNXTensor, transA: Bool, transB: Bool, alpha: Double) throws(SlipwayError) -> (values: [Double], shape: [Int]) {
        guard (1...2).contains(x.shape.count), (1...2).contains(y.shape.count) else {
            throw .invalidParameter("matrix products of \(x.shape) and \(y.shape) are not supported (2-D only)")
        }
        let a = try x.numbers(), b = try y.numbers()
        let (ar, ac) = x.shape.count == 1 ? (1, x.shape[0]) : (x.shape[0], x.shape[1])
        let (br, bc) = y.shape.count == 1 ? (y.shape[0], 1) : (y.shape[0], y.shape[1])
        let (m, k) = transA ? (ac, ar) : (ar, ac)
        let (k2, n) = transB ? (bc, br) : (br, bc)
        guard k == k2 else { throw .invalidParameter("cannot multiply \(x.shape) by \(y.shape)") }
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    sum += a[transA ? p * ac + i : i * ac + p] * b[transB ? j * bc + p : p * bc + j]
                }
                out[i * n + j] = alpha * sum
            }
        }
        var shape = [m, n]
        if x.shape.count == 1 { shape.removeFirst() }
        if y.shape.count == 1 { shape.removeLast() }
        return (out, shape)
    }
}
