import Foundation

/// The statistics of data drift, computed as scipy and numpy compute them for Evidently's data
/// drift preset (docs/research/evidently-drift.md; the tests hold them to scipy's and numpy's
/// values): the two-sample Kolmogorov-Smirnov statistic, chi-squared, a Z-test of two proportions,
/// the Wasserstein distance, the Jensen-Shannon distance and PSI on binned data (the KS p-value is
/// `KolmogorovSmirnov`). Inputs hold no NaN (dropped before).
public enum DriftStatistics {
    // MARK: - Distances on the raw values

    /// The largest gap between the two empirical CDFs (scipy's `ks_2samp` statistic).
    public static func ksStatistic(sortedReference a: [Double], sortedCurrent b: [Double]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var i = 0, j = 0, d = 0.0
        let n = Double(a.count), m = Double(b.count)
        while i < a.count && j < b.count {
            let x = min(a[i], b[j])
            while i < a.count && a[i] <= x { i += 1 }
            while j < b.count && b[j] <= x { j += 1 }
            d = max(d, abs(Double(i) / n - Double(j) / m))
        }
        return d
    }

    /// scipy's `wasserstein_distance(u, v)`: the area between the two empirical CDFs.
    public static func wasserstein(sortedReference u: [Double], sortedCurrent v: [Double]) -> Double {
        guard !u.isEmpty, !v.isEmpty else { return 0 }
        // Walk the merged values; between consecutive ones each CDF is constant.
        var i = 0, j = 0, area = 0.0
        var previous = min(u[0], v[0])
        let n = Double(u.count), m = Double(v.count)
        while i < u.count || j < v.count {
            let x = j >= v.count || (i < u.count && u[i] <= v[j]) ? u[i] : v[j]
            area += abs(Double(i) / n - Double(j) / m) * (x - previous)
            previous = x
            while i < u.count && u[i] == x { i += 1 }
            while j < v.count && v[j] == x { j += 1 }
        }
        return area
    }

    /// The Wasserstein distance in units of the reference's standard deviation (population, at least 0.001).
    public static func normedWasserstein(sortedReference u: [Double], sortedCurrent v: [Double]) -> Double {
        wasserstein(sortedReference: u, sortedCurrent: v) / max(standardDeviation(u), 0.001)
    }

    /// numpy's `std` (ddof 0), with its pairwise-free two-pass mean.
    static func standardDeviation(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return 0 }
        let mean = x.reduce(0, +) / Double(x.count)
        return (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count)).squareRoot()
    }

    // MARK: - Tests on counts

    /// scipy's `chisquare(observed, expected)` p-value: the chi-squared survival function with
    /// `k - 1` degrees of freedom.
    public static func chiSquaredPValue(observed: [Double], expected: [Double]) -> Double {
        var statistic = 0.0
        for (o, e) in zip(observed, expected) { statistic += (o - e) * (o - e) / e }
        let degrees = Double(observed.count - 1)
        guard degrees > 0 else { return .nan }
        guard statistic.isFinite else { return statistic.isNaN ? .nan : 0 }  // a value the reference never had
        return regularizedUpperGamma(degrees / 2, statistic / 2)
    }

    /// Evidently's two-sided Z-test of the share of one value in the reference against the current
    /// data: `2 * (1 - Φ(|z|))`, written as scipy computes it.
    public static func proportionsZTestPValue(referenceHits: Int, referenceCount: Int, currentHits: Int, currentCount: Int) -> Double {
        let n1 = Double(referenceCount), n2 = Double(currentCount)
        let p1 = Double(referenceHits) / n1, p2 = Double(currentHits) / n2
        let pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
        let z = (p1 - p2) / (pooled * (1 - pooled) * (1 / n1 + 1 / n2)).squareRoot()
        return 2 * (1 - normalCDF(abs(z)))
    }

    /// Φ(x), as scipy's `ndtr`.
    static func normalCDF(_ x: Double) -> Double {
        let t = x / 2.0.squareRoot()
        if abs(t) < 1 / 2.0.squareRoot() { return 0.5 + 0.5 * erf(t) }
        return t > 0 ? 1 - 0.5 * erfc(t) : 0.5 * erfc(-t)
    }

    /// Q(a, x), the regularized upper incomplete gamma function (a series below `a + 1`, a
    /// continued fraction above, as Numerical Recipes).
    static func regularizedUpperGamma(_ a: Double, _ x: Double) -> Double {
        guard x > 0 else { return 1 }
        let logPrefix = -x + a * log(x) - lgamma(a)
        if x < a + 1 {
            var sum = 1 / a, term = 1 / a, n = a
            for _ in 0..<10_000 {
                n += 1
                term *= x / n
                sum += term
                if abs(term) < abs(sum) * 1e-17 { break }
            }
            return 1 - sum * exp(logPrefix)
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-17 { break }
        }
        return exp(logPrefix) * h
    }

    // MARK: - Binned distributions

    /// scipy's `jensenshannon(p, q)` (natural log): the square root of the mean of the two
    /// Kullback-Leibler divergences from the midpoint, after normalizing each to sum to 1.
    public static func jensenShannon(_ p: [Double], _ q: [Double]) -> Double {
        let sp = p.reduce(0, +), sq = q.reduce(0, +)
        var divergence = 0.0
        for (x, y) in zip(p, q) {
            let a = x / sp, b = y / sq, m = (a + b) / 2
            if a > 0 { divergence += a * log(a / m) }
            if b > 0 { divergence += b * log(b / m) }
        }
        return max(divergence / 2, 0).squareRoot()
    }

    /// The population stability index of two binned distributions.
    public static func psi(_ reference: [Double], _ current: [Double]) -> Double {
        zip(reference, current).reduce(0) { $0 + ($1.0 - $1.1) * log($1.0 / $1.1) }
    }

    /// numpy's `histogram_bin_edges(values, bins="sturges")` over sorted values: `ceil(log2(n) + 1)`
    /// equal bins from the smallest to the largest value (a unit-wide range around a constant).
    public static func sturgesEdges(sorted values: [Double]) -> [Double] {
        guard let low = values.first, let high = values.last else { return [0, 1] }
        var first = low, last = high
        if first == last {
            first -= 0.5
            last += 0.5
        }
        let count: Int
        if high > low {
            let width = (high - low) / (log2(Double(values.count)) + 1)
            count = Int(((high - low) / width).rounded(.up))
        } else {
            count = 1
        }
        // numpy's linspace: start + i * step, the last edge exactly `last`.
        let step = (last - first) / Double(count)
        var edges = (0..<count).map { first + Double($0) * step }
        edges.append(last)
        return edges
    }

    /// numpy's `histogram(values, edges)` counts over sorted values: bins are `[e_i, e_i+1)`, the last one closed.
    public static func histogram(sorted values: [Double], edges: [Double]) -> [Double] {
        guard edges.count >= 2 else { return [] }
        func lowerBound(_ x: Double) -> Int {
            var lo = 0, hi = values.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if values[mid] < x { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        func upperBound(_ x: Double) -> Int {
            var lo = 0, hi = values.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if values[mid] <= x { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        var cumulative = edges.dropLast().map(lowerBound)
        cumulative.append(upperBound(edges[edges.count - 1]))
        return (1..<cumulative.count).map { Double(cumulative[$0] - cumulative[$0 - 1]) }
    }

    /// Replaces empty bins of a distribution of shares as Evidently does before JS and PSI: with
    /// the smallest non-empty share / 10⁶ when that is at most 10⁻⁴, else 10⁻⁴.
    public static func fillEmptyBins(_ shares: [Double]) -> [Double] {
        guard let smallest = shares.filter({ $0 != 0 }).min() else { return shares }
        let fill = smallest <= 0.0001 ? smallest / 1_000_000 : 0.0001
        return shares.map { $0 == 0 ? fill : $0 }
    }
}
