@testable import SlipwayCore
import Testing

/// Golden values from scipy 1.17.1 and numpy 2.4.6 (the functions Evidently's drift tests call).
@Suite("Drift statistics")
struct DriftStatisticsTests {
    let a: [Double] = [2.041, -2.556, 0.418, -0.568, -0.453, -0.216, -2.02, -0.232, -0.865, 3.323, 0.226, -0.353, -0.281, -0.668, -1.055, -0.391, 0.482, -0.239, 0.958, -0.2, 0.024, 1.546, 0.545, -0.505, -0.183, 0.541, 1.935, -0.27, -0.244, 1.002, -0.886, -0.292, 0.883, 0.58, 0.092, 0.67, -2.828, 1.021, -0.96, -1.669]
    let b: [Double] = [0.759, 1.311, -0.178, -0.999, 0.434, 0.331, 2.227, 1.372, 0.652, 1.845, 0.133, -0.804, 1.159, 1.157, 0.121, -0.618, 0.698, -2.842, 1.297, 1.039, -1.731, 0.48, -0.853, 1.384, -2.244, -0.789, 1.322, 1.903, -2.405, -0.247, 0.826, -0.392, 2.468, -1.149, 0.861, -0.963, 2.228, 0.372, -0.084, -1.834, 2.586, 1.379, 1.38, 1.879, 0.854, -0.431, -0.64, -0.64, 2.181, -1.498, -0.375, -0.018, 0.692, 1.148, -1.224]

    func close(_ x: Double, _ y: Double, _ relative: Double = 1e-12) -> Bool { abs(x - y) <= relative * max(abs(y), 1e-300) }

    @Test("KS statistic and the (normed) Wasserstein distance equal scipy's")
    func distances() {
        let u = a.sorted(), v = b.sorted()
        #expect(close(DriftStatistics.ksStatistic(sortedReference: u, sortedCurrent: v), 0.2545454545454545))
        #expect(close(DriftStatistics.wasserstein(sortedReference: u, sortedCurrent: v), 0.4215795454545457))
        #expect(close(DriftStatistics.normedWasserstein(sortedReference: u, sortedCurrent: v), 0.36331100616776146))
        #expect(DriftStatistics.ksStatistic(sortedReference: u, sortedCurrent: u) == 0)
    }

    @Test("Chi-squared and Z-test p-values equal scipy's")
    func tests() {
        #expect(close(DriftStatistics.chiSquaredPValue(observed: [30, 12, 9, 4], expected: [20, 20, 10, 5]), 0.03673311466858929, 1e-10))
        #expect(close(DriftStatistics.chiSquaredPValue(observed: [500, 300, 200], expected: [400, 350, 250]), 7.059839789285387e-10, 1e-9))
        #expect(close(DriftStatistics.proportionsZTestPValue(referenceHits: 30, referenceCount: 100, currentHits: 45, currentCount: 110), 0.09939953216165565, 1e-10))
        #expect(close(DriftStatistics.proportionsZTestPValue(referenceHits: 300, referenceCount: 1000, currentHits: 290, currentCount: 1000), 0.6239076145924349, 1e-10))
    }

    @Test("Jensen-Shannon distance, Sturges bins, histogram counts and PSI equal scipy's and numpy's")
    func binned() {
        #expect(close(DriftStatistics.jensenShannon([0.5, 0.3, 0.2, 0], [0.25, 0.25, 0.25, 0.25]), 0.33228071285271976, 1e-12))
        let edges = DriftStatistics.sturgesEdges(sorted: (a + b).sorted())
        let expected = [-2.842, -2.071375, -1.30075, -0.530125, 0.24049999999999994, 1.0111249999999998, 1.7817500000000002, 2.552375, 3.323]
        #expect(edges.count == expected.count && zip(edges, expected).allSatisfy { close($0, $1, 1e-15) })
        let countsA = DriftStatistics.histogram(sorted: a.sorted(), edges: edges)
        #expect(countsA == [2, 2, 6, 16, 9, 2, 2, 1])
        let sharesA = DriftStatistics.fillEmptyBins(countsA.map { $0 / Double(a.count) })
        let sharesB = DriftStatistics.fillEmptyBins(DriftStatistics.histogram(sorted: b.sorted(), edges: edges).map { $0 / Double(b.count) })
        #expect(close(DriftStatistics.psi(sharesA, sharesB), 0.5034346081855043, 1e-12))
    }
}

@Suite("Radix sort")
struct RadixSortTests {
    @Test("Sorts like sorted(): negatives, zeros of both signs, infinities, subnormals, repeats")
    func likeSorted() {
        var generator = SystemRandomNumberGenerator()
        var values = (0..<50_000).map { _ in Double.random(in: -1e6...1e6, using: &generator) }
        values += [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude, -1, -1, 3, 3]
        values += (0..<5000).map { Double($0 % 7) }
        let ours = RadixSort.sorted(values), theirs = values.sorted()
        #expect(ours.count == theirs.count && zip(ours, theirs).allSatisfy { $0 == $1 })
        #expect(RadixSort.sorted([3, 1, 2]) == [1, 2, 3])
    }

    @Test("Decimals as a CSV file writes them are counted; a value with more digits, or too wide a range, falls back to the radix sort")
    func decimals() {
        var generator = SystemRandomNumberGenerator()
        let written = (0..<100_000).map { _ in (Double.random(in: -5...5, using: &generator) * 10_000).rounded() / 10_000 }
        for values in [written, written + [-0.0, 0, 0.5], written.map { $0 * 10 }.map { ($0 * 1000).rounded() / 1000 }, written + [1e-7], written + [1e9],
                       written + [.infinity], (0..<10_000).map { Double($0 % 13) }] {
            let ours = RadixSort.sorted(values), theirs = values.sorted()
            #expect(ours.count == theirs.count && zip(ours, theirs).allSatisfy { $0 == $1 })
        }
        #expect(RadixSort.countingDecimals(written) != nil && RadixSort.countingDecimals(written + [1e-7]) == nil)
        #expect(RadixSort.countingDecimals(written + [1e9]) == nil && RadixSort.countingDecimals(written + [.infinity]) == nil)
    }
}
