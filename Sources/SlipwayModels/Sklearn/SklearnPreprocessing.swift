import Foundation
import SlipwayCore

/// A fitted preprocessing step of a scikit-learn `Pipeline`: it maps a row of `inputWidth`
/// numbers to a row of `outputWidth` numbers before the estimator sees it.
protocol SklearnTransform: Sendable {
    var inputWidth: Int { get }
    var outputWidth: Int { get }
    /// - Throws: for a value the step refuses (an unknown category with handle_unknown='error').
    func apply(_ row: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) throws(SlipwayError)
}

/// StandardScaler and MinMaxScaler: `x' = scale·x + shift` per column, clipped to a range for a
/// MinMaxScaler with `clip=True`. Without a clip it folds into a linear model.
struct AffineTransform: SklearnTransform {
    let scale: [Double]
    let shift: [Double]
    let clip: ClosedRange<Double>?
    var inputWidth: Int { scale.count }
    var outputWidth: Int { scale.count }

    static let classes: Set<String> = ["sklearn.preprocessing._data.StandardScaler", "sklearn.preprocessing._data.MinMaxScaler"]

    init(_ file: SkopsFile, _ step: SkopsFile.Node) throws(SlipwayError) {
        switch step.qualifiedName {
        case "sklearn.preprocessing._data.StandardScaler":
            let withMean = step.attribute("with_mean")?.value != .bool(false), withStd = step.attribute("with_std")?.value != .bool(false)
            let width = try file.count(step, "n_features_in_")
            let mean = withMean ? try file.numbers(try file.attribute(step, "mean_")).values : [Double](repeating: 0, count: width)
            let deviation = withStd ? try file.numbers(try file.attribute(step, "scale_")).values : [Double](repeating: 1, count: width)
            guard mean.count == width, deviation.count == width, deviation.allSatisfy({ $0 != 0 }) else { throw file.fail(step, "has inconsistent mean_/scale_") }
            scale = deviation.map { 1 / $0 }
            shift = zip(mean, deviation).map { -$0 / $1 }
            clip = nil
        default:
            scale = try file.numbers(try file.attribute(step, "scale_")).values
            shift = try file.numbers(try file.attribute(step, "min_")).values
            guard scale.count == shift.count, !scale.isEmpty else { throw file.fail(step, "has inconsistent scale_/min_") }
            if step.attribute("clip")?.value == .bool(true) {
                let range = (try file.attribute(step, "feature_range").items ?? []).compactMap { $0.value?.numberValue }
                guard range.count == 2, range[0] <= range[1] else { throw file.fail(step, "has no feature_range to clip to") }
                clip = range[0]...range[1]
            } else {
                clip = nil
            }
        }
    }

    func apply(_ row: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        for i in 0..<scale.count {
            var value = row[i] * scale[i] + shift[i]
            // scikit-learn's np.clip keeps NaN.
            if let clip, !value.isNaN { value = min(max(value, clip.lowerBound), clip.upperBound) }
            out[i] = value
        }
    }
}

/// A model behind its preprocessing steps: each row goes through the steps, then the batch of
/// transformed rows to the estimator.
struct SklearnPipeline: Predictor {
    let steps: [any SklearnTransform]
    let estimator: any Predictor
    let featureNames: [String]
    var featureCount: Int { steps[0].inputWidth }
    var outputKind: OutputKind { estimator.outputKind }
    var outputsPerRow: Int { estimator.outputsPerRow }

    func predict(_ features: FeatureMatrix, threads: Int) throws(SlipwayError) -> [Double] {
        try checkWidth(features)
        let width = steps.map(\.outputWidth).max() ?? 0, last = steps[steps.count - 1].outputWidth
        var transformed = [Double](repeating: 0, count: features.rows * last)
        var a = [Double](repeating: 0, count: max(width, featureCount)), b = a
        try features.values.withUnsafeBufferPointer { input throws(SlipwayError) in
            try transformed.withUnsafeMutableBufferPointer { output throws(SlipwayError) in
                try a.withUnsafeMutableBufferPointer { a throws(SlipwayError) in
                    try b.withUnsafeMutableBufferPointer { b throws(SlipwayError) in
                        for r in 0..<features.rows {
                            var from = UnsafeMutablePointer(mutating: input.baseAddress! + r * featureCount), to = a.baseAddress!, spare = b.baseAddress!
                            for (i, step) in steps.enumerated() {
                                if i == steps.count - 1 { to = output.baseAddress! + r * last }
                                do throws(SlipwayError) {
                                    try step.apply(from, to)
                                } catch {
                                    throw .invalidParameter("Row \(r + 1): \(error.message)")
                                }
                                from = to
                                swap(&to, &spare)
                            }
                        }
                    }
                }
            }
        }
        return try estimator.predict(try FeatureMatrix(rows: features.rows, columns: last, values: transformed), threads: threads)
    }

    var summary: ModelSummary {
        var summary = estimator.summary
        summary.featureNames = featureNames
        summary.featureCount = featureCount
        return summary
    }
}
