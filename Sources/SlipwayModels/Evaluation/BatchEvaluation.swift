import SlipwayCore

/// How both forests run a batch: the output is allocated once, rows are split across threads
/// (`RowPartition`), and each thread evaluates its rows in blocks of `evaluationBlockRows(columns:)`, reusing
/// scratch memory it makes once.
enum BatchEvaluation {
    /// - Parameters:
    ///   - makeScratch: called once per thread.
    ///   - block: evaluates `count` rows starting at `input` (row-major, `features.columns` wide) and
    ///     writes `count * width` outputs starting at `output`.
    static func predict<Scratch>(
        _ features: FeatureMatrix, width: Int, threads: Int, scratch makeScratch: () -> Scratch,
        block: (Scratch, _ input: UnsafePointer<Double>, _ count: Int, _ output: UnsafeMutablePointer<Double>) -> Void
    ) -> [Double] {
        let columns = features.columns, blockRows = evaluationBlockRows(columns: columns)
        var out = [Double](repeating: 0, count: features.rows * width)
        features.values.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                guard let input = input.baseAddress, let output = output.baseAddress else { return }
                RowPartition.run(rows: features.rows, threads: threads) { range in
                    let scratch = makeScratch()
                    for start in stride(from: range.lowerBound, to: range.upperBound, by: blockRows) {
                        let count = min(blockRows, range.upperBound - start)
                        block(scratch, input + start * columns, count, output + start * width)
                    }
                }
            }
        }
        return out
    }
}

/// A buffer a thread reuses for every block; freed when the thread's share of the batch is done.
final class ScratchBuffer<Element> {
    let pointer: UnsafeMutablePointer<Element>

    init(count: Int, repeating value: Element) {
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}
