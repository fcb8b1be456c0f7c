import SlipwayCore

/// A scikit-learn classifier's answer, chosen as MLflow's pyfunc chooses it by `predict_fn`:
/// `predict` gives each row's class (`classes_[argmax(predict_proba)]`, the first of equal
/// probabilities as NumPy's argmax), `predict_proba` one probability per class.
///
/// Numeric classes are answered as the numbers they are; text classes as their index here, with
/// `classLabels` naming them for the answers that are written out (serving, `slipway predict`).
struct SklearnClassifier: Predictor {
    enum Answer: String, Sendable {
        case labels = "predict"
        case probabilities = "predict_proba"
    }

    /// Class probabilities: `.classProbabilities` (one per class) or `.probability` (binary, the second class's).
    let scorer: any Predictor
    let classes: [String]
    let numericClasses: [Double]?
    let answer: Answer

    var featureNames: [String] { scorer.featureNames }
    var featureCount: Int { scorer.featureCount }
    var outputKind: OutputKind { answer == .labels ? .classIndex : .classProbabilities }
    var outputsPerRow: Int { answer == .labels ? 1 : classes.count }
    var classLabels: [String] { answer == .labels && numericClasses == nil ? classes : [] }

    func predict(_ features: FeatureMatrix, threads: Int) throws(SlipwayError) -> [Double] {
        var scores = try scorer.predict(features, threads: threads)
        let k = classes.count
        if scorer.outputKind == .probability {
            scores = scores.flatMap { [1 - $0, $0] }
        }
        guard answer == .labels else { return scores }
        return (0..<features.rows).map { r in
            var best = 0
            for c in 1..<k where scores[r * k + c] > scores[r * k + best] { best = c }
            return numericClasses?[best] ?? Double(best)
        }
    }

    var summary: ModelSummary {
        var summary = scorer.summary
        summary.outputKind = outputKind
        summary.outputsPerRow = outputsPerRow
        summary.objective = "classification (\(answer.rawValue))"
        summary.details.append(("labels", classes.joined(separator: ", ")))
        return summary
    }
}
