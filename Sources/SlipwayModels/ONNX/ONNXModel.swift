import Foundation
import SlipwayCore
import SlipwayONNXProto
import SwiftProtobuf

/// An ONNX-ML model (skl2onnx, onnxmltools, CatBoost exports) run natively. The answer is the
/// graph's first output, as onnxruntime lists it: a classifier's labels (`output_label`), its
/// probabilities when they come first (a ZipMap's maps become one column per class), or a
/// regressor's values.
///
/// Rows go in as the graph's one numeric input `[N, F]`, or as one `[N, 1]` input per column
/// (named columns) when the graph has several.
struct ONNXModel: Predictor {
    enum Answer: Sendable {
        case values
        case probabilities
        /// Numeric labels, answered as the numbers they are.
        case numericLabels
        /// Text labels, answered as their index in `classLabels`.
        case textLabels
    }

    let graph: ONNXGraph
    let featureNames: [String]
    let featureCount: Int
    /// One input of F columns (false), or one input per column (true).
    let inputPerColumn: Bool
    let answer: Answer
    let outputsPerRow: Int
    let classLabels: [String]
    /// Each text label's index in `classLabels` (the first, should a label repeat).
    let labelIndex: [String: Int]
    let producer: String

    var outputKind: OutputKind {
        switch answer {
        case .values: .value
        case .probabilities: .classProbabilities
        case .numericLabels, .textLabels: .classIndex
        }
    }

    /// - Throws: `INVALID_PARAMETER_VALUE` for a file that is not an ONNX model, operators Slipway
    ///   does not run (all named), text inputs, or an output Slipway cannot answer with.
    init(bytes: [UInt8], source: String) throws(SlipwayError) {
        let model: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            model = try Onnx_ModelProto(serializedBytes: bytes, options: options)
        } catch {
            throw .invalidParameter("Model file '\(source)' is not a readable ONNX model (\(error))")
        }
        guard model.hasGraph else { throw .invalidParameter("Model file '\(source)' is not an ONNX model (it has no graph)") }
        let graph: ONNXGraph
        do {
            graph = try ONNXGraph(model: model)
        } catch {
            throw .invalidParameter("ONNX model '\(source)': \(error.message)")
        }
        self.graph = graph
        producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        for port in graph.inputs where port.isSequence || ![1, 11, 7, 6].contains(port.elementType) {
            throw .invalidParameter("ONNX model '\(source)' has input '\(port.name)' of a type Slipway does not pass (only numeric tensors; text columns are not supported yet)")
        }
        if graph.inputs.count == 1 {
            let port = graph.inputs[0]
            guard port.dims.count == 2, let width = port.dims[1], width > 0, width <= maximumFeatures else {
                throw .invalidParameter("ONNX model '\(source)' has input '\(port.name)' of shape \(port.dims.map { $0.map(String.init) ?? "?" }); Slipway needs [N, F] with F known")
            }
            featureCount = width
            featureNames = []
            inputPerColumn = false
        } else {
            for port in graph.inputs where !(port.dims.count == 1 || (port.dims.count == 2 && port.dims[1] == 1)) {
                throw .invalidParameter("ONNX model '\(source)' has several inputs and '\(port.name)' is not one column ([N, 1])")
            }
            featureCount = graph.inputs.count
            featureNames = graph.inputs.map(\.name)
            inputPerColumn = true
        }
        // What the first output is, from a probe row of zeros.
        let probe: ONNXValue
        do {
            probe = try Self.run(graph, try FeatureMatrix(rows: 1, columns: featureCount, values: [Double](repeating: 0, count: featureCount)),
                                 perColumn: inputPerColumn, threads: 1)[0]
        } catch {
            throw .invalidParameter("ONNX model '\(source)' fails on a row of zeros: \(error.message)")
        }
        let name = graph.outputs[0].name
        switch probe {
        case .probabilityMaps(let t, _):
            answer = .probabilities
            outputsPerRow = t.matrixShape.columns
            classLabels = []
        case .tensor(let t):
            switch t.elements {
            case .string:
                guard t.count == 1 else { throw .invalidParameter("ONNX model '\(source)' answers \(t.count) labels per row in '\(name)'") }
                answer = .textLabels
                outputsPerRow = 1
                classLabels = graph.textLabels
                guard !classLabels.isEmpty else { throw .invalidParameter("ONNX model '\(source)' answers text in '\(name)' but names no class labels") }
            case .int64:
                guard t.count == 1 else { throw .invalidParameter("ONNX model '\(source)' answers \(t.count) labels per row in '\(name)'") }
                answer = .numericLabels
                outputsPerRow = 1
                classLabels = []
            case .float, .double:
                outputsPerRow = t.count
                classLabels = []
                if t.count == 1 {
                    answer = .values
                } else if graph.isClassifier {
                    answer = .probabilities
                } else {
                    throw .invalidParameter("ONNX model '\(source)' answers \(t.count) values per row in '\(name)'; Slipway serves one value per row, or one probability per class")
                }
            case .bool:
                throw .invalidParameter("ONNX model '\(source)' answers booleans in '\(name)', which Slipway does not serve")
            }
        }
        labelIndex = Dictionary(classLabels.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    static func run(_ graph: ONNXGraph, _ features: FeatureMatrix, perColumn: Bool, threads: Int) throws(SlipwayError) -> [ONNXValue] {
        var inputs: [ONNXValue] = []
        if perColumn {
            for (c, port) in graph.inputs.enumerated() {
                let column = (0..<features.rows).map { features.values[$0 * features.columns + c] }
                let shape = port.dims.count == 1 ? [features.rows] : [features.rows, 1]
                inputs.append(.tensor(try ONNXTensor(shape: shape, .double(column)).cast(to: port.elementType)))
            }
        } else {
            let port = graph.inputs[0]
            inputs.append(.tensor(try ONNXTensor(shape: [features.rows, features.columns], .double(features.values)).cast(to: port.elementType)))
        }
        return try graph.run(inputs, threads: threads)
    }

    func predict(_ features: FeatureMatrix, threads: Int) throws(SlipwayError) -> [Double] {
        try checkWidth(features)
        let output = try Self.run(graph, features, perColumn: inputPerColumn, threads: threads)[0].tensor
        guard output.count == features.rows * outputsPerRow else {
            throw .invalidParameter("The ONNX model answered \(output.count) values for \(features.rows) rows of \(outputsPerRow)")
        }
        switch output.elements {
        case .string(let labels):
            var out: [Double] = []
            out.reserveCapacity(labels.count)
            for label in labels {
                guard let i = labelIndex[label] else { throw .invalidParameter("The ONNX model answered label '\(label)', which none of its classifiers names") }
                out.append(Double(i))
            }
            return out
        default:
            return output.doubles ?? []
        }
    }

    var summary: ModelSummary {
        let operators = graph.operatorCounts.sorted { $0.key < $1.key }.map { $0.value == 1 ? $0.key : "\($0.key) x\($0.value)" }
        var details: [(String, String)] = [("answer", graph.outputs[0].name), ("operators", operators.joined(separator: ", ")),
                                           ("opsets", graph.opsets.sorted { $0.key < $1.key }.map { "\($0.key.isEmpty ? "ai.onnx" : $0.key) \($0.value)" }.joined(separator: ", "))]
        if !producer.isEmpty { details.insert(("producer", producer), at: 0) }
        if !classLabels.isEmpty { details.append(("labels", classLabels.joined(separator: ", "))) }
        return ModelSummary(
            format: "onnx", objective: graph.isClassifier ? "classification" : "regression", featureNames: featureNames, featureCount: featureCount,
            outputKind: outputKind, outputsPerRow: outputsPerRow, trees: graph.treeCount, details: details)
    }
}

extension ONNXGraph {
    var treeEnsembles: [ONNXTreeEnsemble] { nodes.compactMap { $0.op as? ONNXTreeEnsemble } }
    var treeCount: Int { treeEnsembles.reduce(0) { $0 + $1.trees } }

    var isClassifier: Bool {
        nodes.contains { ($0.op as? ONNXTreeEnsemble)?.classifier != nil || ($0.op as? ONNXLinear)?.labels != nil }
    }

    /// The text class labels the graph's classifiers name, in order of first appearance.
    var textLabels: [String] {
        var out: [String] = []
        for node in nodes {
            let labels = (node.op as? ONNXTreeEnsemble)?.classifier?.labels ?? (node.op as? ONNXLinear)?.labels
            if case .string(let names)? = labels?.elements {
                for name in names where !out.contains(name) { out.append(name) }
            }
        }
        return out
    }
}
