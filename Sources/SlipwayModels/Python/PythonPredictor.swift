public import SlipwayCore
import Synchronization

/// A model served through Python worker processes (`PythonWorkerPool`): MLflow flavors Slipway
/// cannot read natively (cloudpickled scikit-learn, custom `python_function` models, catboost...).
/// It takes the numeric columns of the model's input signature, in that order, and answers what
/// the pyfunc's `predict` answers: numbers (one, or several per row) or text labels, which are
/// numbered in the order they are first seen.
public final class PythonPredictor: Predictor {
    let pool: PythonWorkerPool
    private let labels = Mutex<(names: [String], index: [String: Int])>(([], [:]))

    /// Starts the workers; throws when the first cannot load the model.
    public init(directory: String, runtime: PythonRuntime) throws(SlipwayError) {
        pool = try PythonWorkerPool(runtime: runtime, directory: directory)
    }

    public var featureNames: [String] { pool.hello.columns }
    public var featureCount: Int { pool.hello.columns.count }
    public var outputKind: OutputKind { pool.hello.labels ? .classIndex : (pool.hello.width > 1 ? .classProbabilities : .value) }
    public var outputsPerRow: Int { pool.hello.labels ? 1 : pool.hello.width }
    public var classLabels: [String] { pool.hello.labels ? labels.withLock { $0.names } : [] }
    /// The worker processes' ids (tests kill them).
    public var workerPIDs: [Int32] { pool.pids }

    public func predict(_ features: FeatureMatrix, threads: Int) throws(SlipwayError) -> [Double] {
        try checkWidth(features)
        return try outputs(try pool.predictBlocking(features))
    }

    public func predictAsync(_ features: FeatureMatrix) async throws(SlipwayError) -> [Double] {
        try checkWidth(features)
        return try outputs(try await pool.predict(features))
    }

    func outputs(_ answer: (numbers: [Double], width: Int, labels: [String]?)) throws(SlipwayError) -> [Double] {
        if let text = answer.labels {
            guard pool.hello.labels else { throw SlipwayError(.internalError, "The model answered text where it answered numbers when it loaded") }
            return labels.withLock { table in
                text.map { label in
                    if let known = table.index[label] { return Double(known) }
                    table.index[label] = table.names.count
                    table.names.append(label)
                    return Double(table.names.count - 1)
                }
            }
        }
        guard !pool.hello.labels, answer.width == outputsPerRow else {
            throw SlipwayError(.internalError, "The model answered \(answer.width) numbers per row where it answered \(pool.hello.labels ? "labels" : String(outputsPerRow)) when it loaded")
        }
        return answer.numbers
    }

    public var summary: ModelSummary {
        let counts = pool.counts
        return ModelSummary(
            format: "python-worker", objective: pool.hello.flavor, featureNames: featureNames, featureCount: featureCount,
            outputKind: outputKind, outputsPerRow: outputsPerRow, trees: 0,
            details: [("flavor", pool.hello.flavor), ("interpreter", pool.runtime.interpreter), ("workers", "\(counts.alive) of \(pool.runtime.workers)"),
                      ("workers replaced", "\(counts.replaced)")])
    }
}
