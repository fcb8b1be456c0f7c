import SlipwayCore
import Testing

@Suite("Realized performance")
struct RealizedPerformanceTests {
    let hour: Int64 = 3_600_000

    @Test("Rows fall into windows aligned on the epoch, then versions; unlabeled rows count as predictions only")
    func windows() throws {
        let rows = [
            LabeledPrediction(version: 1, at: 10, outputs: [1], actual: 2),
            LabeledPrediction(version: 1, at: hour - 1, outputs: [3], actual: nil),
            LabeledPrediction(version: 2, at: 20, outputs: [5], actual: 5),
            LabeledPrediction(version: 1, at: hour, outputs: [4], actual: 6),
        ]
        let points = try RealizedPerformance.points(rows, metric: "mae", window: try RealizedPerformance.window("1h"))
        #expect(points.map(\.start) == [0, 0, hour] && points.map(\.version) == [1, 2, 1])
        #expect(points.map(\.predictions) == [2, 1, 1] && points.map(\.labeled) == [1, 1, 1])
        #expect(points.map(\.value) == [1, 0, 2] && points[2].end == 2 * hour)
    }

    @Test("No labels, one sample's R², and a single class's ROC AUC have no value")
    func undefined() throws {
        #expect(try RealizedPerformance.value("rmse", outputs: [], actuals: []) == nil)
        #expect(try RealizedPerformance.value("r2", outputs: [[1]], actuals: [2]) == nil)
        #expect(try RealizedPerformance.value("roc_auc", outputs: [[0.2], [0.9]], actuals: [1, 1]) == nil)
        #expect(try RealizedPerformance.value("accuracy", outputs: [[0.2, 0.8], [0.6, 0.4]], actuals: [1, 1]) == 0.5)
    }

    @Test("Unknown metrics, bad windows and labels that are not class indices are refused")
    func refused() {
        #expect(throws: SlipwayError.self) { try RealizedPerformance.value("wrongness", outputs: [[1]], actuals: [1]) }
        #expect(throws: SlipwayError.self) { try RealizedPerformance.value("f1", outputs: [[0.3]], actuals: [2]) }
        #expect(throws: SlipwayError.self) { try RealizedPerformance.value("f1", outputs: [[0.3]], actuals: [0.5]) }
        for text in ["1", "0h", "h", "2w", "-1d"] {
            #expect(throws: SlipwayError.self) { try RealizedPerformance.window(text) }
        }
    }
}
