import SlipwayCore
import Testing
@testable import SlipwayStore

@Suite("Metric chunks")
struct MetricChunkTests {
    @Test("Points round-trip exactly, NaN and infinities included")
    func roundTrip() throws {
        let values: [Double] = [0, -0.0, 1.5, -3e300, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, 0.1]
        let points = values.enumerated().map { i, v in Metric(key: "m", value: v, timestamp: Int64(1_795_000_000_000 + i), step: Int64(i) - 3) }
        let template = Metric(key: "m", value: 0, timestamp: 0, modelID: "m-1", runID: "r")
        let decoded = try MetricChunk.decode(MetricChunk.encode(points), template: template)
        #expect(decoded.count == points.count)
        for (a, b) in zip(points, decoded) {
            #expect(a.value.bitPattern == b.value.bitPattern)
            #expect(a.step == b.step && a.timestamp == b.timestamp)
            #expect(b.modelID == "m-1" && b.runID == "r" && b.key == "m")
        }
    }

    @Test("A truncated chunk is an error, not a crash")
    func truncated() {
        let bytes = MetricChunk.encode([Metric(key: "m", value: 1, timestamp: 1)])
        #expect(throws: SlipwayError.self) { try MetricChunk.decode(Array(bytes.dropLast()), template: Metric(key: "m", value: 0, timestamp: 0)) }
    }
}
