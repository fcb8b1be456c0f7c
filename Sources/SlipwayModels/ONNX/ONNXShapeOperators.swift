import SlipwayCore

extension ONNXTensor {
    /// A tensor of `shape` whose element i is this tensor's element `indices[i]`.
    func picking(_ indices: [Int], shape: [Int]) -> ONNXTensor {
        switch elements {
        case .float(let v): ONNXTensor(shape: shape, .float(indices.map { v[$0] }))
        case .double(let v): ONNXTensor(shape: shape, .double(indices.map { v[$0] }))
        case .int64(let v): ONNXTensor(shape: shape, .int64(indices.map { v[$0] }))
        case .string(let v): ONNXTensor(shape: shape, .string(indices.map { v[$0] }))
        case .bool(let v): ONNXTensor(shape: shape, .bool(indices.map { v[$0] }))
        }
    }

    func reshaped(_ shape: [Int]) -> ONNXTensor {
        ONNXTensor(shape: shape, elements)
    }

    /// An axis attribute made non-negative for a tensor of `rank` dimensions.
    static func axis(_ axis: Int64, rank: Int) throws(SlipwayError) -> Int {
        let a = axis < 0 ? Int(axis) + rank : Int(axis)
        guard a >= 0, a < max(rank, 1) else { throw .invalidParameter("axis \(axis) is out of range for rank \(rank)") }
        return a
    }
}

/// Operators that move elements without computing: Reshape, Flatten, Squeeze, Unsqueeze, Concat,
/// Gather, Shape, Transpose.
enum ONNXShapeOperators {
    static func make(opType: String, opset: Int, attributes a: ONNXAttributes) throws(SlipwayError) -> (any ONNXOperator)? {
        switch opType {
        case "Reshape":
            let allowZero = a.int("allowzero", default: 0) != 0
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0)
                guard let requested = try ONNXOperators.tensor(inputs, 1).int64s else { throw .invalidParameter("the shape is not integers") }
                var shape: [Int] = []
                var unknown: Int?
                for (i, d) in requested.enumerated() {
                    if d == -1, unknown == nil { unknown = i; shape.append(1); continue }
                    if d == 0, !allowZero, i < x.shape.count { shape.append(x.shape[i]); continue }
                    guard d >= 0 else { throw .invalidParameter("shape \(requested) is invalid") }
                    shape.append(Int(d))
                }
                let known = shape.reduce(1, *)
                if let unknown {
                    guard known > 0, x.count % known == 0 else { throw .invalidParameter("cannot reshape \(x.shape) to \(requested)") }
                    shape[unknown] = x.count / known
                }
                guard shape.reduce(1, *) == x.count else { throw .invalidParameter("cannot reshape \(x.shape) to \(requested)") }
                return [.tensor(x.reshaped(shape))]
            }
        case "Flatten":
            let axis = a.int("axis", default: 1)
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0)
                let at = axis < 0 ? Int(axis) + x.shape.count : Int(axis)
                guard at >= 0, at <= x.shape.count else { throw .invalidParameter("axis \(axis) is out of range") }
                return [.tensor(x.reshaped([x.shape[..<at].reduce(1, *), x.shape[at...].reduce(1, *)]))]
            }
        case "Squeeze", "Unsqueeze":
            let attributeAxes = opset < 13 ? a.ints("axes") : nil
            let squeeze = opType == "Squeeze"
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0)
                let axes = try attributeAxes ?? ONNXOperators.optionalTensor(inputs, 1)?.int64s ?? []
                if squeeze {
                    let drop = try Set(axes.map { a throws(SlipwayError) in try ONNXTensor.axis(a, rank: x.shape.count) })
                    for d in drop where x.shape[d] != 1 { throw .invalidParameter("cannot squeeze dimension \(d) of \(x.shape)") }
                    let shape = x.shape.enumerated().filter { drop.isEmpty ? $0.element != 1 : !drop.contains($0.offset) }.map(\.element)
                    return [.tensor(x.reshaped(shape))]
                }
                let rank = x.shape.count + axes.count
                let added = try Set(axes.map { a throws(SlipwayError) in try ONNXTensor.axis(a, rank: rank) })
                guard added.count == axes.count else { throw .invalidParameter("repeated axes \(axes)") }
                var rest = x.shape.makeIterator()
                return [.tensor(x.reshaped((0..<rank).map { added.contains($0) ? 1 : rest.next()! }))]
            }
        case "Concat":
            guard let axis = a.int("axis") else { throw a.fail("Concat without an axis") }
            return ONNXKernel { inputs throws(SlipwayError) in
                let tensors = try inputs.indices.map { i throws(SlipwayError) in try ONNXOperators.tensor(inputs, i) }
                return [.tensor(try concat(tensors, axis: axis))]
            }
        case "Gather":
            let axis = a.int("axis", default: 0)
            return ONNXKernel { inputs throws(SlipwayError) in
                let data = try ONNXOperators.tensor(inputs, 0)
                let indexTensor = try ONNXOperators.tensor(inputs, 1)
                guard let indices = indexTensor.int64s else { throw .invalidParameter("indices are not integers") }
                let at = try ONNXTensor.axis(axis, rank: data.shape.count)
                let outer = data.shape[..<at].reduce(1, *), size = data.shape[at], inner = data.shape[(at + 1)...].reduce(1, *)
                var picks: [Int] = []
                picks.reserveCapacity(outer * indices.count * inner)
                for o in 0..<outer {
                    for i in indices {
                        let k = i < 0 ? Int(i) + size : Int(i)
                        guard k >= 0, k < size else { throw .invalidParameter("index \(i) is out of range for \(size)") }
                        for j in 0..<inner { picks.append((o * size + k) * inner + j) }
                    }
                }
                return [.tensor(data.picking(picks, shape: Array(data.shape[..<at]) + indexTensor.shape + Array(data.shape[(at + 1)...])))]
            }
        case "Shape":
            let start = a.int("start", default: 0), end = a.int("end")
            return ONNXKernel { inputs throws(SlipwayError) in
                let shape = try ONNXOperators.tensor(inputs, 0).shape.map(Int64.init)
                let rank = Int64(shape.count)
                func clamp(_ v: Int64) -> Int { Int(Swift.min(Swift.max(v < 0 ? v + rank : v, 0), rank)) }
                let slice = Array(shape[clamp(start)..<Swift.max(clamp(start), clamp(end ?? rank))])
                return [.tensor(ONNXTensor(shape: [slice.count], .int64(slice)))]
            }
        case "Transpose":
            let perm = a.ints("perm")
            return ONNXKernel { inputs throws(SlipwayError) in
                let x = try ONNXOperators.tensor(inputs, 0)
                let order = perm.isEmpty ? Array((0..<x.shape.count).reversed()) : perm.map { Int($0) }
                guard order.sorted() == Array(0..<x.shape.count) else { throw .invalidParameter("perm \(perm) does not fit rank \(x.shape.count)") }
                let shape = order.map { x.shape[$0] }
                var strides = [Int](repeating: 1, count: x.shape.count)
                for d in stride(from: x.shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * x.shape[d + 1] }
                let permuted = order.map { strides[$0] }
                var picks = [Int](repeating: 0, count: x.count)
                var position = [Int](repeating: 0, count: shape.count)
                for i in 0..<x.count {
                    picks[i] = zip(position, permuted).reduce(0) { $0 + $1.0 * $1.1 }
                    var d = shape.count - 1
                    while d >= 0 {
                        position[d] += 1
                        if position[d] < shape[d] { break }
                        position[d] = 0
                        d -= 1
                    }
                }
                return [.tensor(x.picking(picks, shape: shape))]
            }
        default:
            return nil
        }
    }

    static func concat(_ tensors: [ONNXTensor], axis: Int64) throws(SlipwayError) -> ONNXTensor {
        guard let first = tensors.first else { throw .invalidParameter("nothing to concatenate") }
        let rank = first.shape.count
        let at = try ONNXTensor.axis(axis, rank: rank)
        for t in tensors {
            guard t.shape.count == rank, t.typeName == first.typeName,
                  t.shape.enumerated().allSatisfy({ $0.offset == at || $0.element == first.shape[$0.offset] }) else {
                throw .invalidParameter("cannot concatenate \(first.typeName) \(first.shape) and \(t.typeName) \(t.shape) on axis \(axis)")
            }
        }
        let outer = first.shape[..<at].reduce(1, *)
        let inner = first.shape[(at + 1)...].reduce(1, *)
        // Each input as a slice of one combined list of elements: its offset there and its chunk per outer index.
        var offsets: [Int] = []
        var total = 0
        for t in tensors { offsets.append(total); total += t.count }
        var picks: [Int] = []
        picks.reserveCapacity(total)
        for o in 0..<outer {
            for (t, offset) in zip(tensors, offsets) {
                let chunk = t.shape[at] * inner
                picks.append(contentsOf: (offset + o * chunk)..<(offset + (o + 1) * chunk))
            }
        }
        var shape = first.shape
        shape[at] = tensors.reduce(0) { $0 + $1.shape[at] }
        let joined: ONNXTensor
        switch first.elements {
        case .float: joined = ONNXTensor(shape: [total], .float(tensors.flatMap { $0.floats! }))
        case .double: joined = ONNXTensor(shape: [total], .double(tensors.flatMap { $0.doubles! }))
        case .int64: joined = ONNXTensor(shape: [total], .int64(tensors.flatMap { $0.int64s! }))
        case .bool: joined = ONNXTensor(shape: [total], .bool(tensors.flatMap { $0.doubles!.map { $0 != 0 } }))
        case .string: joined = ONNXTensor(shape: [total], .string(tensors.flatMap { t -> [String] in if case .string(let v) = t.elements { v } else { [] } }))
        }
        return joined.picking(picks, shape: shape)
    }
}
