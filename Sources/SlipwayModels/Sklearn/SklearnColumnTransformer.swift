import SlipwayCore

/// ColumnTransformer: each fitted transformer (or Pipeline of them) reads its columns, by name or
/// position, and the outputs are laid side by side in `transformers_` order; `passthrough` copies
/// columns, `drop` leaves them out.
struct ColumnTransformerStep: SklearnTransform {
    static let className = "sklearn.compose._column_transformer.ColumnTransformer"
    static let functionTransformer = "sklearn.preprocessing._function_transformer.FunctionTransformer"

    struct Branch {
        /// The step's input columns this branch reads.
        let columns: [Int]
        /// Its transforms in order (none for passthrough).
        let chain: [any SklearnTransform]
        let outputWidth: Int
    }

    let branches: [Branch]
    let inputWidth: Int
    let outputWidth: Int
    /// Scratch width a branch needs (its widest step).
    let scratchWidth: Int

    init(_ file: SkopsFile, _ step: SkopsFile.Node, inputs: InputColumns) throws(SlipwayError) {
        let width = try file.count(step, "n_features_in_")
        guard width > 0, width <= maximumFeatures else { throw file.fail(step, "has \(width) input columns") }
        let names = try step.attribute("feature_names_in_").map { node throws(SlipwayError) in try file.strings(node) } ?? []
        if let weights = step.attribute("transformer_weights"), weights.value != .null {
            throw file.fail(step, "weighs its transformers (transformer_weights), which Slipway does not serve yet")
        }
        guard let entries = try file.attribute(step, "transformers_").items else { throw file.fail(step, "has no fitted transformers_") }
        var branches: [Branch] = []
        for entry in entries {
            guard let parts = entry.items, parts.count == 3 else { throw file.fail(entry, "is not a (name, transformer, columns) triple") }
            let columns = try Self.columns(file, parts[2], names: names, width: width)
            if parts[1].value?.stringValue == "drop" || columns.isEmpty { continue }
            let branchInputs = inputs.selecting(columns)
            var chain: [any SklearnTransform] = []
            // A fitted ColumnTransformer holds `passthrough` as a FunctionTransformer without a function.
            let identity = parts[1].qualifiedName == Self.functionTransformer && parts[1].attribute("func")?.value == .null
            if parts[1].value?.stringValue != "passthrough", !identity {
                let steps = parts[1].qualifiedName == "sklearn.pipeline.Pipeline"
                    ? try (file.attribute(parts[1], "steps").items ?? []).map { item throws(SlipwayError) -> SkopsFile.Node in
                        guard let pair = item.items, pair.count == 2 else { throw file.fail(item, "is not a (name, step) pair") }
                        return pair[1]
                    }
                    : [parts[1]]
                var stepInputs = branchInputs
                for node in steps where node.value?.stringValue != "passthrough" {
                    let transform = try SklearnModel.transform(file, node, inputs: stepInputs)
                    // Text stays text through an imputer; anything else makes numbers.
                    if !(transform is SimpleImputerTransform) { stepInputs = stepInputs.numeric }
                    chain.append(transform)
                }
            }
            var expected = columns.count
            for transform in chain {
                guard transform.inputWidth == expected else { throw file.fail(parts[1], "takes \(transform.inputWidth) columns where \(expected) arrive") }
                expected = transform.outputWidth
            }
            branches.append(Branch(columns: columns, chain: chain, outputWidth: expected))
        }
        guard !branches.isEmpty else { throw file.fail(step, "keeps no columns") }
        self.branches = branches
        inputWidth = width
        outputWidth = branches.reduce(0) { $0 + $1.outputWidth }
        scratchWidth = branches.map { b in ([b.columns.count] + b.chain.map(\.outputWidth)).max()! }.max()!
    }

    /// A branch's columns: names (looked up in `feature_names_in_`) or positions.
    static func columns(_ file: SkopsFile, _ node: SkopsFile.Node, names: [String], width: Int) throws(SlipwayError) -> [Int] {
        func spec(_ value: JSONValue?) throws(SlipwayError) -> SkopsFile.Category {
            switch value {
            case .string(let name)?: return .text(name)
            case .number(let index)?: return .number(index)
            default: throw file.fail(node, "selects columns in a way Slipway does not read (names or positions)")
            }
        }
        let specs: [SkopsFile.Category]
        if let value = node.value {
            specs = [try spec(value)]
        } else if let items = node.items {
            specs = try items.map { item throws(SlipwayError) in try spec(item.value) }
        } else {
            specs = try file.categories(node)
        }
        return try specs.map { spec throws(SlipwayError) -> Int in
            switch spec {
            case .text(let name):
                guard let index = names.firstIndex(of: name) else { throw file.fail(node, "selects column '\(name)', which the transformer was not fitted on") }
                return index
            case .number(let index):
                let i = index < 0 ? index + Double(width) : index
                guard i >= 0, i < Double(width), i == i.rounded() else { throw file.fail(node, "selects column \(index) of \(width)") }
                return Int(i)
            }
        }
    }

    func apply(_ row: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) throws(SlipwayError) {
        try withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * scratchWidth) { scratch throws(SlipwayError) in
            var offset = 0
            for branch in branches {
                var from = scratch.baseAddress!, to = from + scratchWidth
                for (k, c) in branch.columns.enumerated() { from[k] = row[c] }
                for transform in branch.chain {
                    try transform.apply(from, to)
                    swap(&from, &to)
                }
                for k in 0..<branch.outputWidth { out[offset + k] = from[k] }
                offset += branch.outputWidth
            }
        }
    }
}
