import SlipwayCore
import Testing

@Suite("Evaluation metrics")
struct EvaluationMetricsTests {
    func dict(_ pairs: [(String, Double)]) -> [String: Double] { Dictionary(uniqueKeysWithValues: pairs) }

    @Test("Regression: hand-checked values, a constant target, MAPE's zero guard")
    func regression() {
        let m = dict(EvaluationMetrics.regression(truth: [1, 2, 3, 4], predicted: [1, 2, 3, 6]))
        #expect(m["mae"] == 0.5 && m["rmse"] == 1 && abs(m["r2"]! - 0.2) < 1e-12 && abs(m["mape"]! - 0.125) < 1e-12)
        #expect(dict(EvaluationMetrics.regression(truth: [2, 2], predicted: [2, 2]))["r2"] == 1)
        #expect(dict(EvaluationMetrics.regression(truth: [2, 2], predicted: [2, 3]))["r2"] == 0)
        #expect(dict(EvaluationMetrics.regression(truth: [0], predicted: [1]))["mape"]! > 1e15)
    }

    @Test("Binary: ties in scores share ranks, one class has no AUC, undefined precision is 0")
    func binary() {
        let m = dict(EvaluationMetrics.binary(truth: [0, 0, 1, 1], probability: [0.1, 0.6, 0.6, 0.9]))
        #expect(m["accuracy"] == 0.75 && m["precision"] == 2.0 / 3 && m["recall"] == 1 && m["roc_auc"] == 0.875)
        let oneClass = dict(EvaluationMetrics.binary(truth: [0, 0], probability: [0.2, 0.3]))
        #expect(oneClass["roc_auc"] == nil && oneClass["precision"] == 0 && oneClass["f1"] == 0 && oneClass["accuracy"] == 1)
        #expect(dict(EvaluationMetrics.binary(truth: [1], probability: [0]))["log_loss"]! > 30)  // clipped, finite
    }

    @Test("Multiclass: argmax ties go to the first class; macro over labels present")
    func multiclass() {
        let m = dict(EvaluationMetrics.multiclass(truth: [0, 1, 2], probabilities: [0.5, 0.5, 0, 0.2, 0.7, 0.1, 0.1, 0.2, 0.7], classes: 3))
        #expect(m["accuracy"] == 1 && m["f1"] == 1 && m["roc_auc"] == 1)
        let partial = dict(EvaluationMetrics.multiclass(truth: [0, 0], probabilities: [0.9, 0.1, 0, 0.2, 0.8, 0], classes: 3))
        #expect(partial["accuracy"] == 0.5 && partial["recall"] == 0.25 && partial["roc_auc"] == nil)
    }
}

@Suite("Evaluation values")
struct EvaluationValueTests {
    @Test("NaN and infinite metrics (ROC AUC of one class, MAPE with a zero target) read back as numbers")
    func nonFinite() {
        let e = Evaluation(
            id: "e", model: "m", version: 1, dataset: "d", datasetVersion: 1, datasetDigest: "x", task: .regression,
            metrics: [("rmse", 0.5), ("mape", .infinity), ("roc_auc", .nan), ("r2", -.infinity)], rows: 3, createdAt: 0)
        #expect(e.value("rmse") == 0.5 && e.value("mape") == .infinity && e.value("roc_auc")?.isNaN == true && e.value("r2") == -.infinity)
        #expect(e.metricValues.map(\.key) == ["rmse", "mape", "roc_auc", "r2"])
        #expect(e.value("f1") == nil)
    }
}
