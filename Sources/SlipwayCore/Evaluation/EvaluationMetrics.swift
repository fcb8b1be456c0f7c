import Foundation

/// The standard metrics, one implementation for every candidate, computed the way scikit-learn
/// computes them (the tests hold them to sklearn's values):
/// - regression: `mae`, `rmse`, `r2`, `mape`;
/// - classification: `accuracy`, `precision`, `recall`, `f1` (binary for two classes, macro over
///   the labels present for more), `log_loss`, `roc_auc` (one-vs-rest macro for more than two).
/// Binary predictions are the probability of class 1, and the predicted label is `p > 0.5`.
public enum EvaluationMetrics {
    public enum Task: String, Sendable {
        case regression, binary, multiclass
    }

    /// Float64's machine epsilon, as sklearn clips probabilities and guards MAPE's denominator.
    static let epsilon = Double.ulpOfOne

    public static func regression(truth y: [Double], predicted p: [Double]) -> [(String, Double)] {
        let n = Double(y.count)
        var absolute = 0.0, squared = 0.0, percentage = 0.0
        for (t, q) in zip(y, p) {
            absolute += abs(t - q)
            squared += (t - q) * (t - q)
            percentage += abs(t - q) / max(abs(t), epsilon)
        }
        let mean = y.reduce(0, +) / n
        let total = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        // sklearn's force_finite: a constant target scores 1 when predicted exactly, else 0.
        let r2 = total == 0 ? (squared == 0 ? 1 : 0) : 1 - squared / total
        return [("mae", absolute / n), ("rmse", (squared / n).squareRoot()), ("r2", r2), ("mape", percentage / n)]
    }

    /// `truth` holds 0 or 1; `probability` the probability of 1.
    public static func binary(truth y: [Int], probability p: [Double]) -> [(String, Double)] {
        let predicted = p.map { $0 > 0.5 ? 1 : 0 }
        var scores = labelScores(truth: y, predicted: predicted, labels: [1])
        var loss = 0.0
        for (t, q) in zip(y, p) {
            let clipped = min(max(q, epsilon), 1 - epsilon)
            loss -= t == 1 ? log(clipped) : log(1 - clipped)
        }
        scores.append(("log_loss", loss / Double(y.count)))
        if let auc = rocAUC(positive: y.map { $0 == 1 }, score: p) { scores.append(("roc_auc", auc)) }
        return scores
    }

    /// `truth` holds class indices `0..<classes`; `probabilities` is row-major, `classes` per row.
    public static func multiclass(truth y: [Int], probabilities p: [Double], classes k: Int) -> [(String, Double)] {
        let n = y.count
        var predicted: [Int] = []
        predicted.reserveCapacity(n)
        var loss = 0.0
        for r in 0..<n {
            let row = p[(r * k)..<(r * k + k)]
            predicted.append(row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }! - r * k)
            loss -= log(min(max(row[r * k + y[r]], epsilon), 1 - epsilon))
        }
        let present = Array(Set(y).union(predicted)).sorted()
        var scores = labelScores(truth: y, predicted: predicted, labels: present)
        scores.append(("log_loss", loss / Double(n)))
        // One-vs-rest AUC per class that has both positives and negatives, then their mean.
        var aucs: [Double] = []
        for c in 0..<k {
            if let auc = rocAUC(positive: y.map { $0 == c }, score: (0..<n).map { p[$0 * k + c] }) { aucs.append(auc) }
        }
        if aucs.count == k { scores.append(("roc_auc", aucs.reduce(0, +) / Double(k))) }
        return scores
    }

    /// Accuracy, and precision, recall and F1 averaged over `labels` (zero where undefined, as sklearn's default).
    public static func labelScores(truth y: [Int], predicted: [Int], labels: [Int]) -> [(String, Double)] {
        let n = Double(y.count)
        let correct = zip(y, predicted).filter { $0 == $1 }.count
        var precision = 0.0, recall = 0.0, f1 = 0.0
        for label in labels {
            var tp = 0, fp = 0, fn = 0
            for (t, q) in zip(y, predicted) {
                if q == label && t == label { tp += 1 } else if q == label { fp += 1 } else if t == label { fn += 1 }
            }
            let p = tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp)
            let r = tp + fn == 0 ? 0 : Double(tp) / Double(tp + fn)
            precision += p
            recall += r
            f1 += 2 * tp + fp + fn == 0 ? 0 : Double(2 * tp) / Double(2 * tp + fp + fn)
        }
        let m = Double(labels.count)
        return [("accuracy", Double(correct) / n), ("precision", precision / m), ("recall", recall / m), ("f1", f1 / m)]
    }

    /// The area under the ROC curve (Mann-Whitney, ties share their average rank); `nil` when one side is empty.
    static func rocAUC(positive: [Bool], score: [Double]) -> Double? {
        let positives = positive.filter { $0 }.count
        let negatives = positive.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = score.indices.sorted { score[$0] < score[$1] }
        var rankSum = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && score[order[j + 1]] == score[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            for k in i...j where positive[order[k]] { rankSum += averageRank }
            i = j + 1
        }
        return (rankSum - Double(positives) * Double(positives + 1) / 2) / (Double(positives) * Double(negatives))
    }
}
