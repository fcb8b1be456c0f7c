import Foundation

/// How a column's values are compared: as numbers, or as categories (by equality).
public enum DriftColumnKind: String, Sendable, Hashable {
    case numerical, categorical

    /// Evidently's inference for a column of numbers: integers (no missing value, every value
    /// whole) with at most 10 distinct values in the current data are categories.
    public static func infer(current: [Double]) -> DriftColumnKind {
        var distinct = SmallSet(limit: 11)
        for value in current {
            guard value.isFinite, value == value.rounded(), distinct.insert(value) else { return .numerical }
        }
        return current.isEmpty ? .numerical : .categorical
    }

    public static func infer(current: ColumnValues) -> DriftColumnKind {
        switch current {
        case .values(let values): return infer(current: values)
        case .counts(let keys, _, let missing):
            return missing == 0 && !keys.isEmpty && keys.count <= 10 && keys.allSatisfy { $0 == $0.rounded() } ? .categorical : .numerical
        }
    }
}

/// A column's values as drift needs them: every value (NaN for missing), or, for a column with few
/// distinct values, each value's count (the order of rows is not kept: no drift test looks at it).
public enum ColumnValues: Sendable {
    case values([Double])
    case counts(keys: [Double], counts: [Int], missing: Int)

    /// The values that are not missing (expanded from counts).
    public var finite: [Double] {
        switch self {
        case .values(let values): return DataDrift.finite(values)
        case .counts(let keys, let counts, _):
            var out: [Double] = []
            out.reserveCapacity(counts.reduce(0, +))
            for (key, count) in zip(keys, counts) { out.append(contentsOf: repeatElement(key, count: count)) }
            return out
        }
    }
}

/// Distinct values up to a limit, in a short list: faster than a hash set for the few values that
/// decide a column's test. `insert` is false once the limit would be passed.
struct SmallSet {
    var values: [Double] = []
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    mutating func insert(_ value: Double) -> Bool {
        if values.contains(value) { return true }
        guard values.count + 1 < limit else { return false }
        values.append(value)
        return true
    }
}

/// A drift test, its threshold and which side of it is drift.
public enum DriftMethod: String, Sendable, Hashable, CaseIterable {
    case ks, chisquare, z, wasserstein, jensenshannon, psi

    public var defaultThreshold: Double {
        switch self {
        case .ks, .chisquare, .z: return 0.05
        case .wasserstein, .jensenshannon, .psi: return 0.1
        }
    }

    /// The score is a p-value (drift below the threshold) rather than a distance (drift at or above it).
    public var isPValue: Bool { self == .ks || self == .chisquare || self == .z }

    /// As Evidently names it.
    public var displayName: String {
        switch self {
        case .ks: return "K-S p_value"
        case .chisquare: return "chi-square p_value"
        case .z: return "Z-test p_value"
        case .wasserstein: return "Wasserstein distance (normed)"
        case .jensenshannon: return "Jensen-Shannon distance"
        case .psi: return "PSI"
        }
    }

    /// KS drifts at `p <= threshold`, the other tests at `p < threshold`, the distances at `>= threshold`.
    public func drifted(score: Double, threshold: Double) -> Bool {
        switch self {
        case .ks: return score <= threshold
        case .chisquare, .z: return score < threshold
        case .wasserstein, .jensenshannon, .psi: return score >= threshold
        }
    }
}

/// One column's drift: the test chosen, its score and verdict, on how many values each side had.
public struct ColumnDrift: Sendable, Hashable {
    public var column: String
    public var kind: DriftColumnKind
    public var method: DriftMethod
    public var threshold: Double
    /// `nil` when a side has no value (the column is then left out of the share).
    public var score: Double?
    public var drifted: Bool
    public var referenceCount: Int
    public var currentCount: Int
}

/// A dataset's drift: its columns, and whether the share of drifted ones reaches the threshold.
/// `json` is how the API and `slipway drift --json` write it.
public struct DatasetDrift: Sendable, Hashable {
    public var columns: [ColumnDrift]
    public var driftedCount: Int
    /// Drifted columns over the columns that could be tested.
    public var share: Double
    public var shareThreshold: Double
    public var drifted: Bool

    public init(columns: [ColumnDrift], shareThreshold: Double = 0.5) {
        self.columns = columns
        let tested = columns.filter { $0.score != nil }
        driftedCount = tested.filter(\.drifted).count
        share = tested.isEmpty ? 0 : Double(driftedCount) / Double(tested.count)
        self.shareThreshold = shareThreshold
        drifted = !tested.isEmpty && share >= shareThreshold
    }

    public var json: JSONValue {
        .object([
            ("drifted", .bool(drifted)), ("drifted_columns", .int(Int64(driftedCount))), ("share", .number(share)),
            ("share_threshold", .number(shareThreshold)),
            ("columns", .array(columns.map { c in
                .object([
                    ("column", .string(c.column)), ("kind", .string(c.kind.rawValue)), ("method", .string(c.method.rawValue)),
                    ("method_name", .string(c.method.displayName)), ("threshold", .number(c.threshold)),
                    ("score", c.score.flatMap { $0.isFinite ? JSONValue.number($0) : nil } ?? .null), ("drifted", .bool(c.drifted)),
                    ("reference_count", .int(Int64(c.referenceCount))), ("current_count", .int(Int64(c.currentCount))),
                ])
            })),
        ])
    }
}

/// Data drift as Evidently's data drift preset decides it, column by column (see
/// docs/research/evidently-drift.md): missing values dropped on each side, then a test chosen by
/// the column's kind, the reference's size and the distinct values of both sides together.
public enum DataDrift {
    /// Evidently's default test: for a reference of at most 1000 values KS (numbers with more than
    /// 5 distinct values), chi-squared (more than 2) or a Z-test; above, the normed Wasserstein
    /// distance (numbers with more than 5 distinct values) or the Jensen-Shannon distance.
    public static func defaultMethod(kind: DriftColumnKind, referenceCount: Int, distinct: Int) -> DriftMethod {
        if referenceCount <= 1000 {
            if kind == .numerical && distinct > 5 { return .ks }
            return distinct > 2 ? .chisquare : .z
        }
        return kind == .numerical && distinct > 5 ? .wasserstein : .jensenshannon
    }

    /// A column to compare: its values on both sides (NaN for missing).
    public struct Input: Sendable {
        public var name: String
        public var kind: DriftColumnKind
        public var reference: ColumnValues
        public var current: ColumnValues

        public init(name: String, kind: DriftColumnKind, reference: ColumnValues, current: ColumnValues) {
            self.name = name
            self.kind = kind
            self.reference = reference
            self.current = current
        }

        public init(name: String, kind: DriftColumnKind, reference: [Double], current: [Double]) {
            self.init(name: name, kind: kind, reference: .values(reference), current: .values(current))
        }
    }

    /// Every column's drift, the columns spread over the cores, and the dataset's verdict.
    public static func dataset(_ inputs: [Input], method: DriftMethod? = nil, threshold: Double? = nil, shareThreshold: Double = 0.5) -> DatasetDrift {
        let results = UnsafeMutableBufferPointer<ColumnDrift?>.allocate(capacity: inputs.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let slots = results
        DispatchQueue.concurrentPerform(iterations: inputs.count) { i in
            let input = inputs[i]
            slots[i] = column(input.name, kind: input.kind, reference: input.reference, current: input.current, method: method, threshold: threshold)
        }
        return DatasetDrift(columns: results.map { $0! }, shareThreshold: shareThreshold)
    }

    /// One column's drift; `method` and `threshold` override the defaults. Counted columns are
    /// scored from their counts where the test needs no more.
    public static func column(
        _ name: String, kind: DriftColumnKind, reference: ColumnValues, current: ColumnValues, method: DriftMethod? = nil, threshold: Double? = nil
    ) -> ColumnDrift {
        guard case .counts(let refKeys, let refCounts, _) = reference, case .counts(let curKeys, let curCounts, _) = current else {
            return column(name, kind: kind, reference: reference.finite, current: current.finite, method: method, threshold: threshold)
        }
        let refTally = Dictionary(uniqueKeysWithValues: zip(refKeys, refCounts.map(Double.init)))
        let curTally = Dictionary(uniqueKeysWithValues: zip(curKeys, curCounts.map(Double.init)))
        let keys = Set(refKeys).union(curKeys).sorted()
        let nRef = refCounts.reduce(0, +), nCur = curCounts.reduce(0, +)
        let chosen = method ?? defaultMethod(kind: kind, referenceCount: nRef, distinct: keys.count)
        let perValue = kind == .categorical || refKeys.count <= 20
        guard chosen == .chisquare || chosen == .z || (perValue && (chosen == .jensenshannon || chosen == .psi)) else {
            return column(name, kind: kind, reference: reference.finite, current: current.finite, method: method, threshold: threshold)
        }
        let limit = threshold ?? chosen.defaultThreshold
        var result = ColumnDrift(column: name, kind: kind, method: chosen, threshold: limit, score: nil, drifted: false, referenceCount: nRef, currentCount: nCur)
        guard nRef > 0, nCur > 0 else { return result }
        let score = countScore(chosen, keys: keys, reference: refTally, current: curTally, nRef: nRef, nCur: nCur)
        result.score = score
        result.drifted = chosen.drifted(score: score, threshold: limit)
        return result
    }

    /// A test that looks only at how often each value occurs (chi-squared, Z, and per-value JS and PSI).
    static func countScore(_ method: DriftMethod, keys: [Double], reference: [Double: Double], current: [Double: Double], nRef: Int, nCur: Int) -> Double {
        switch method {
        case .chisquare:
            let scale = Double(nCur) / Double(nRef)
            return DriftStatistics.chiSquaredPValue(observed: keys.map { current[$0] ?? 0 }, expected: keys.map { (reference[$0] ?? 0) * scale })
        case .z:
            if keys.count == 1 { return 1 }  // both sides hold the same single value
            return DriftStatistics.proportionsZTestPValue(
                referenceHits: Int(reference[keys[0]] ?? 0), referenceCount: nRef, currentHits: Int(current[keys[0]] ?? 0), currentCount: nCur)
        case .jensenshannon:
            return DriftStatistics.jensenShannon(keys.map { (reference[$0] ?? 0) / Double(nRef) }, keys.map { (current[$0] ?? 0) / Double(nCur) })
        case .psi:
            return DriftStatistics.psi(DriftStatistics.fillEmptyBins(keys.map { (reference[$0] ?? 0) / Double(nRef) }),
                                       DriftStatistics.fillEmptyBins(keys.map { (current[$0] ?? 0) / Double(nCur) }))
        case .ks, .wasserstein:
            return .nan
        }
    }

    /// One column's drift from its values (NaN for missing).
    public static func column(
        _ name: String, kind: DriftColumnKind, reference: [Double], current: [Double], method: DriftMethod? = nil, threshold: Double? = nil
    ) -> ColumnDrift {
        let ref = finite(reference), cur = finite(current)
        let distinct = distinctCount(ref, cur, upTo: 6)  // the choice only asks for more than 2 or 5
        let chosen = method ?? defaultMethod(kind: kind, referenceCount: ref.count, distinct: distinct)
        let limit = threshold ?? chosen.defaultThreshold
        var result = ColumnDrift(
            column: name, kind: kind, method: chosen, threshold: limit, score: nil, drifted: false, referenceCount: ref.count, currentCount: cur.count)
        guard !ref.isEmpty, !cur.isEmpty else { return result }
        let score = self.score(chosen, kind: kind, reference: ref, current: cur)
        result.score = score
        result.drifted = chosen.drifted(score: score, threshold: limit)
        return result
    }

    static func score(_ method: DriftMethod, kind: DriftColumnKind, reference ref: [Double], current cur: [Double]) -> Double {
        switch method {
        case .ks:
            let a = RadixSort.sorted(ref), b = RadixSort.sorted(cur)
            return KolmogorovSmirnov.pValue(statistic: DriftStatistics.ksStatistic(sortedReference: a, sortedCurrent: b), n1: a.count, n2: b.count)
        case .wasserstein:
            return DriftStatistics.normedWasserstein(sortedReference: RadixSort.sorted(ref), sortedCurrent: RadixSort.sorted(cur))
        case .chisquare, .z:
            let (keys, refCounts, curCounts) = counts(ref, cur)
            return countScore(method, keys: keys, reference: refCounts, current: curCounts, nRef: ref.count, nCur: cur.count)
        case .jensenshannon:
            let (p, q) = binned(kind: kind, reference: ref, current: cur)
            return DriftStatistics.jensenShannon(p, q)
        case .psi:
            let (p, q) = binned(kind: kind, reference: ref, current: cur)
            return DriftStatistics.psi(DriftStatistics.fillEmptyBins(p), DriftStatistics.fillEmptyBins(q))
        }
    }

    /// The values that are not missing; no copy when none is.
    static func finite(_ values: [Double]) -> [Double] {
        values.allSatisfy(\.isFinite) ? values : values.filter(\.isFinite)
    }

    /// How many distinct values the two sides hold together, counting no further than `limit`.
    static func distinctCount(_ a: [Double], _ b: [Double], upTo limit: Int) -> Int {
        var seen = SmallSet(limit: limit)
        for value in a where !seen.insert(value) { return limit }
        for value in b where !seen.insert(value) { return limit }
        return seen.values.count
    }

    /// The distinct values of both sides (sorted) and each side's count of each.
    static func counts(_ ref: [Double], _ cur: [Double]) -> ([Double], [Double: Double], [Double: Double]) {
        let refCounts = tally(ref), curCounts = tally(cur)
        return (Set(refCounts.keys).union(curCounts.keys).sorted(), refCounts, curCounts)
    }

    /// How many times each value occurs: a short list searched in order while there are few
    /// distinct values (categories), a dictionary beyond.
    static func tally(_ values: [Double]) -> [Double: Double] {
        var keys: [Double] = [], counts: [Double] = []
        var index = 0
        while index < values.count {
            let value = values[index]
            if let slot = keys.firstIndex(of: value) {
                counts[slot] += 1
            } else if keys.count < 32 {
                keys.append(value)
                counts.append(1)
            } else {
                break
            }
            index += 1
        }
        var result = Dictionary(uniqueKeysWithValues: zip(keys, counts))
        while index < values.count {
            result[values[index], default: 0] += 1
            index += 1
        }
        return result
    }

    /// Each side's shares of the bins: Sturges bins over both sides for numbers whose reference has
    /// more than 20 distinct values, else one bin per distinct value.
    static func binned(kind: DriftColumnKind, reference ref: [Double], current cur: [Double]) -> ([Double], [Double]) {
        if kind == .numerical && distinctCount(ref, [], upTo: 21) > 20 {
            let a = RadixSort.sorted(ref), b = RadixSort.sorted(cur)
            let edges = DriftStatistics.sturgesEdges(sorted: RadixSort.sorted(a + b))
            return (DriftStatistics.histogram(sorted: a, edges: edges).map { $0 / Double(a.count) },
                    DriftStatistics.histogram(sorted: b, edges: edges).map { $0 / Double(b.count) })
        }
        let (keys, refCounts, curCounts) = counts(ref, cur)
        return (keys.map { (refCounts[$0] ?? 0) / Double(ref.count) }, keys.map { (curCounts[$0] ?? 0) / Double(cur.count) })
    }
}
