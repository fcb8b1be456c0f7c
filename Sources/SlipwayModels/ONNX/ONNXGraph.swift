import Foundation
import SlipwayCore
import SlipwayONNXProto

/// A value on an edge of the graph: a tensor, or ZipMap's sequence of maps, kept as the
/// probability matrix and the keys of its columns.
enum ONNXValue: Sendable {
    case tensor(ONNXTensor)
    case probabilityMaps(ONNXTensor, keys: ONNXTensor)

    var tensor: ONNXTensor {
        switch self {
        case .tensor(let t): t
        case .probabilityMaps(let t, _): t
        }
    }
}

/// One operator of the graph, built once at load time from its node's attributes.
protocol ONNXOperator: Sendable {
    /// - Parameters:
    ///   - inputs: the node's inputs in order, nil for an optional input left out.
    ///   - threads: how many threads a large batch may use (tree ensembles), 0 for every core.
    func run(_ inputs: [ONNXValue?], threads: Int) throws(SlipwayError) -> [ONNXValue]
}

/// An ONNX model's main graph, checked and ready to run: constants, nodes in an order where each
/// input is computed before it is used, and the graph's inputs and outputs as slots.
struct ONNXGraph: Sendable {
    struct Node: Sendable {
        let name: String
        let opType: String
        let inputs: [Int?]
        let outputs: [Int]
        let op: any ONNXOperator
    }

    struct Port: Sendable {
        let name: String
        let slot: Int
        /// The declared element type (`TensorProto.DataType`), 0 for a sequence or map.
        let elementType: Int
        /// Declared dimensions, nil where symbolic (the batch).
        let dims: [Int?]
        let isSequence: Bool
    }

    let nodes: [Node]
    let inputs: [Port]
    let outputs: [Port]
    let constants: [Int: ONNXValue]
    let slotCount: Int
    /// Operators by name (`domain:op`), for the summary.
    let operatorCounts: [String: Int]
    let opsets: [String: Int]

    /// - Throws: `INVALID_PARAMETER_VALUE` naming every operator Slipway does not run, an input used
    ///   before it is computed, or a malformed attribute.
    init(model: Onnx_ModelProto) throws(SlipwayError) {
        var opsets: [String: Int] = [:]
        for opset in model.opsetImport {
            opsets[opset.domain == "ai.onnx" ? "" : opset.domain] = Int(clamping: opset.version)
        }
        if opsets.isEmpty { opsets[""] = 1 }
        self.opsets = opsets
        let graph = model.graph
        var slots: [String: Int] = [:]
        func slot(_ name: String) -> Int {
            if let s = slots[name] { return s }
            slots[name] = slots.count
            return slots.count - 1
        }
        var constants: [Int: ONNXValue] = [:]
        for initializer in graph.initializer {
            constants[slot(initializer.name)] = .tensor(try ONNXTensor(proto: initializer))
        }
        var defined = Set(constants.keys)
        var inputs: [Port] = []
        for input in graph.input where constants[slots[input.name] ?? -1] == nil {
            let port = Self.port(input, slot: slot(input.name))
            inputs.append(port)
            defined.insert(port.slot)
        }
        var nodes: [Node] = []
        var unsupported: [String] = []
        var counts: [String: Int] = [:]
        for (index, proto) in graph.node.enumerated() {
            let name = proto.name.isEmpty ? "#\(index)" : proto.name
            let domain = proto.domain == "ai.onnx" ? "" : proto.domain
            var nodeInputs: [Int?] = []
            for input in proto.input {
                if input.isEmpty { nodeInputs.append(nil); continue }
                guard let s = slots[input], defined.contains(s) else {
                    throw .invalidParameter("ONNX node '\(name)' (\(proto.opType)) reads '\(input)' before any node computes it")
                }
                nodeInputs.append(s)
            }
            let nodeOutputs = proto.output.enumerated().map { $1.isEmpty ? slot("\u{0}\(index).\($0)") : slot($1) }
            defined.formUnion(nodeOutputs)
            let qualified = domain.isEmpty ? proto.opType : "\(domain):\(proto.opType)"
            counts[qualified, default: 0] += 1
            guard let version = opsets[domain] else {
                throw .invalidParameter("ONNX node '\(name)' uses domain '\(domain)', which the model does not import")
            }
            let attributes = ONNXAttributes(node: name, opType: proto.opType, proto.attribute)
            guard let op = try ONNXOperators.make(domain: domain, opType: proto.opType, opset: version, attributes: attributes) else {
                if !unsupported.contains(qualified) { unsupported.append(qualified) }
                continue
            }
            nodes.append(Node(name: name, opType: proto.opType, inputs: nodeInputs, outputs: nodeOutputs, op: op))
        }
        guard unsupported.isEmpty else {
            throw .invalidParameter("The ONNX model uses operators Slipway does not run natively: \(unsupported.joined(separator: ", ")) (docs/models.md lists the supported ones)")
        }
        var outputs: [Port] = []
        for output in graph.output {
            guard let s = slots[output.name], defined.contains(s) else {
                throw .invalidParameter("ONNX graph output '\(output.name)' is computed by no node")
            }
            outputs.append(Self.port(output, slot: s))
        }
        guard !outputs.isEmpty else { throw .invalidParameter("The ONNX graph has no outputs") }
        guard !inputs.isEmpty else { throw .invalidParameter("The ONNX graph has no inputs") }
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
        self.constants = constants
        self.slotCount = slots.count
        self.operatorCounts = counts
    }

    static func port(_ info: Onnx_ValueInfoProto, slot: Int) -> Port {
        switch info.type.value {
        case .tensorType(let tensor):
            let dims: [Int?] = tensor.shape.dim.map { dim in
                if case .dimValue(let v) = dim.value, v >= 0 { return Int(clamping: v) }
                return nil
            }
            return Port(name: info.name, slot: slot, elementType: Int(tensor.elemType), dims: dims, isSequence: false)
        default:
            return Port(name: info.name, slot: slot, elementType: 0, dims: [], isSequence: true)
        }
    }

    /// Runs the graph on values for its inputs, in order; returns the graph's outputs, in order.
    func run(_ inputValues: [ONNXValue], threads: Int) throws(SlipwayError) -> [ONNXValue] {
        var values = [ONNXValue?](repeating: nil, count: slotCount)
        for (slot, value) in constants { values[slot] = value }
        for (port, value) in zip(inputs, inputValues) { values[port.slot] = value }
        for node in nodes {
            let results: [ONNXValue]
            do {
                results = try node.op.run(node.inputs.map { $0.flatMap { values[$0] } }, threads: threads)
            } catch {
                throw .invalidParameter("ONNX node '\(node.name)' (\(node.opType)): \(error.message)")
            }
            for (slot, value) in zip(node.outputs, results) { values[slot] = value }
        }
        var out: [ONNXValue] = []
        for port in outputs {
            guard let value = values[port.slot] else { throw .invalidParameter("ONNX graph output '\(port.name)' was not computed") }
            out.append(value)
        }
        return out
    }
}

/// A node's attributes by name, read with the type each operator expects.
struct ONNXAttributes {
    let node: String
    let opType: String
    let byName: [String: Onnx_AttributeProto]

    init(node: String, opType: String, _ attributes: [Onnx_AttributeProto]) {
        self.node = node
        self.opType = opType
        var byName: [String: Onnx_AttributeProto] = [:]
        for attribute in attributes { byName[attribute.name] = attribute }
        self.byName = byName
    }

    func fail(_ why: String) -> SlipwayError {
        .invalidParameter("ONNX node '\(node)' (\(opType)): \(why)")
    }

    func has(_ name: String) -> Bool { byName[name] != nil }

    func int(_ name: String) -> Int64? { byName[name].map(\.i) }
    func int(_ name: String, default value: Int64) -> Int64 { int(name) ?? value }
    func float(_ name: String) -> Float? { byName[name].map(\.f) }
    func float(_ name: String, default value: Float) -> Float { float(name) ?? value }
    func string(_ name: String) -> String? { byName[name].map { String(decoding: $0.s, as: UTF8.self) } }
    func string(_ name: String, default value: String) -> String { string(name) ?? value }
    func ints(_ name: String) -> [Int64] { byName[name]?.ints ?? [] }
    func floats(_ name: String) -> [Float] { byName[name]?.floats ?? [] }
    func strings(_ name: String) -> [String] { (byName[name]?.strings ?? []).map { String(decoding: $0, as: UTF8.self) } }
    func tensor(_ name: String) throws(SlipwayError) -> ONNXTensor? {
        guard let attribute = byName[name], attribute.hasT else { return nil }
        return try ONNXTensor(proto: attribute.t)
    }

    /// A list of floats given either as `name` or as the tensor `tensorName` (the `_as_tensor`
    /// forms that hold doubles).
    func doubles(_ name: String, tensor tensorName: String) throws(SlipwayError) -> [Double] {
        if let tensor = try tensor(tensorName) {
            guard let values = tensor.doubles else { throw fail("attribute \(tensorName) holds text") }
            return values
        }
        return floats(name).map(Double.init)
    }

    /// An index attribute checked to lie in 0..<bound.
    func indices(_ name: String, below bound: Int) throws(SlipwayError) -> [Int] {
        var out: [Int] = []
        for value in ints(name) {
            guard value >= 0, value < Int64(bound) else { throw fail("\(name) holds \(value), outside 0..<\(bound)") }
            out.append(Int(value))
        }
        return out
    }
}
