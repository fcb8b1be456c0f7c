import SlipwayCore

extension XGBoostForest {
    /// Evaluates a batch: each row cast to float (the padding column NaN), its margins started at
    /// `base`, every tree's leaf added, then `finish` turns one row's margins into its outputs.
    /// - Parameters:
    ///   - groups: margins per row (`base.count`).
    ///   - width: outputs per row, what `finish` writes.
    func predict(
        _ features: FeatureMatrix, groups: Int, width: Int? = nil, threads: Int, base: [Float],
        finish: @escaping (_ margins: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Double>) -> Void
    ) -> [Double] {
        let columns = features.columns, stride = stride, block = evaluationBlockRows(columns: columns), width = width ?? groups
        // Per thread: the block's rows as floats (NaN in the padding column), margins, tree positions, then the rows as keys.
        let scratch = { (ScratchBuffer<Float>(count: block * stride, repeating: .nan), ScratchBuffer<Float>(count: block * groups, repeating: 0),
                         ScratchBuffer<Int32>(count: block + block * stride, repeating: 0)) }
        return BatchEvaluation.predict(features, width: width, threads: threads, scratch: scratch) { buffers, input, count, output in
            let (rows, margins, positions) = (buffers.0.pointer, buffers.1.pointer, buffers.2.pointer)
            for r in 0..<count {
                for c in 0..<columns { rows[r * stride + c] = Float(input[r * columns + c]) }
                for g in 0..<groups { margins[r * groups + g] = base[g] }
            }
            accumulate(rows: rows, count: count, margins: margins, groupCount: groups, positions: positions, keys: positions + block)
            for r in 0..<count { finish(margins + r * groups, output + r * width) }
        }
    }
}
