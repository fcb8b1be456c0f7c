/// Evaluates a parsed run filter and order against runs in memory, with the same meaning as the
/// SQL store gives them on SQLite: byte-wise string comparison, case-sensitive LIKE, ASCII-only
/// case folding for ILIKE, a metric's latest non-NaN value, and missing values sorting last.
public struct RunMatcher: Sendable {
    public let filter: FilterExpression?
    public let order: [OrderTerm]

    public init(filter: FilterExpression?, order: [OrderTerm]) {
        self.filter = filter
        self.order = order
    }

    /// Whether the run satisfies the filter (a run with no value for a compared key does not).
    public func matches(_ run: Run) -> Bool {
        guard let filter else { return true }
        return Self.evaluate(filter, run)
    }

    /// Sorts indices of `runs` by the order terms, then newest start time first, then run id;
    /// moving indices is cheaper than moving runs.
    public func sortedIndices(_ indices: [Int], of runs: [Run]) -> [Int] {
        // Through a buffer, so runs are borrowed rather than copied.
        runs.withUnsafeBufferPointer { runs in
            var keys = [[SortValue?]](repeating: [], count: order.isEmpty ? 0 : runs.count)
            if !order.isEmpty {
                for i in indices { keys[i] = order.map { Self.sortValue($0, runs[i]) } }
            }
            return indices.sorted { a, b in
                Self.precedes(order.isEmpty ? [] : keys[a], runs[a].info.startTime, runs[a].info.runID,
                              order.isEmpty ? [] : keys[b], runs[b].info.startTime, runs[b].info.runID, order: order)
            }
        }
    }

    /// The position in `sorted` (indices of `runs` in this order) of the first run after `keyset`.
    public func position(after keyset: RunKeyset, in sorted: [Int], of runs: [Run]) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            let run = runs[sorted[middle]]
            let values = order.map { Self.sortValue($0, run) }
            if Self.precedes(keyset.values, keyset.startTime, keyset.runID, values, run.info.startTime, run.info.runID, order: order) {
                high = middle
            } else {
                low = middle + 1
            }
        }
        return low
    }

    /// The order of two sort keys: the terms (missing values last either way), then newest start, then run id.
    static func precedes(
        _ ka: [SortValue?], _ startA: Int64, _ idA: String, _ kb: [SortValue?], _ startB: Int64, _ idB: String, order: [OrderTerm]
    ) -> Bool {
        for (i, term) in order.enumerated() {
            switch (ka[i], kb[i]) {
            case (nil, nil): continue
            case (nil, _): return false
            case (_, nil): return true
            case (let x?, let y?):
                let c = x.compare(y)
                if c != 0 { return term.ascending ? c < 0 : c > 0 }
            }
        }
        if startA != startB { return startA > startB }
        return compareBytes(idA, idB) < 0
    }

    // MARK: - Filter

    static func evaluate(_ expression: FilterExpression, _ run: Run) -> Bool {
        switch expression {
        case .comparison(let c): return compare(c, run)
        case .and(let parts): return parts.allSatisfy { evaluate($0, run) }
        case .or(let parts): return parts.contains { evaluate($0, run) }
        }
    }

    static func compare(_ c: FilterComparison, _ run: Run) -> Bool {
        switch c.entity {
        case .metric:
            guard let metric = run.metrics.first(where: { $0.key == c.key }), !metric.value.isNaN else { return false }
            return compareNumber(metric.value, c.comparator, c.value)
        case .param:
            guard let value = run.params.first(where: { $0.key == c.key })?.value else { return false }
            return compareString(value, c.comparator, c.value)
        case .tag:
            guard let value = run.tags.first(where: { $0.key == c.key })?.value else { return false }
            return compareString(value, c.comparator, c.value)
        case .attribute:
            switch c.key {
            case "start_time", "created": return compareNumber(Double(run.info.startTime), c.comparator, c.value)
            case "end_time":
                guard let end = run.info.endTime else { return false }
                return compareNumber(Double(end), c.comparator, c.value)
            default:
                guard let value = stringAttribute(c.key, run) else { return false }
                return compareString(value, c.comparator, c.value)
            }
        case .dataset:
            return run.inputs.contains { input in
                let value: String?
                switch c.key {
                case "name": value = input.dataset.name
                case "digest": value = input.dataset.digest
                default: value = input.tags.first(where: { $0.key == "mlflow.data.context" })?.value
                }
                guard let value else { return false }
                return compareString(value, c.comparator, c.value)
            }
        }
    }

    static func stringAttribute(_ key: String, _ run: Run) -> String? {
        switch key {
        case "run_id": return run.info.runID
        case "run_name": return run.info.runName
        case "status": return run.info.status.rawValue
        case "user_id": return run.info.userID
        case "artifact_uri": return run.info.artifactURI
        case "lifecycle_stage": return run.info.lifecycleStage.rawValue
        default: return nil
        }
    }

    static func compareNumber(_ x: Double, _ comparator: Comparator, _ value: FilterValue) -> Bool {
        guard case .number(let y) = value else { return false }
        switch comparator {
        case .equal: return x == y
        case .notEqual: return x != y
        case .less: return x < y
        case .lessOrEqual: return x <= y
        case .greater: return x > y
        case .greaterOrEqual: return x >= y
        default: return false
        }
    }

    static func compareString(_ x: String, _ comparator: Comparator, _ value: FilterValue) -> Bool {
        switch (comparator, value) {
        case (.in, .list(let items)): return items.contains { compareBytes($0, x) == 0 }
        case (.notIn, .list(let items)): return !items.contains { compareBytes($0, x) == 0 }
        case (.equal, .string(let y)): return compareBytes(x, y) == 0
        case (.notEqual, .string(let y)): return compareBytes(x, y) != 0
        case (.like, .string(let pattern)): return like(Array(x.utf8), Array(pattern.utf8))
        case (.ilike, .string(let pattern)): return like(Array(x.utf8).map(asciiLower), Array(pattern.utf8).map(asciiLower))
        default: return false
        }
    }

    /// SQL LIKE over UTF-8: `%` matches any run, `_` one character.
    static func like(_ text: [UInt8], _ pattern: [UInt8]) -> Bool {
        var t = 0, p = 0
        var star = -1, mark = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "_") {
                t += utf8Length(text[t])
                p += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "%") {
                star = p
                mark = t
                p += 1
            } else if p < pattern.count, pattern[p] == text[t] {
                t += 1
                p += 1
            } else if star >= 0 {
                p = star + 1
                mark += utf8Length(text[mark])
                t = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "%") { p += 1 }
        return p == pattern.count
    }

    static func utf8Length(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }

    static func asciiLower(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte + 32 : byte
    }

    /// memcmp order of the UTF-8 bytes (SQLite's BINARY collation).
    static func compareBytes(_ a: String, _ b: String) -> Int {
        var i = a.utf8.makeIterator(), j = b.utf8.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let x?, let y?): if x != y { return x < y ? -1 : 1 }
            }
        }
    }

    // MARK: - Order

    public enum SortValue: Sendable, Equatable {
        case number(Double)
        case text(String)

        func compare(_ other: SortValue) -> Int {
            switch (self, other) {
            case (.number(let x), .number(let y)): return x < y ? -1 : (x > y ? 1 : 0)
            case (.text(let x), .text(let y)): return RunMatcher.compareBytes(x, y)
            case (.number, .text): return -1
            case (.text, .number): return 1
            }
        }
    }

    public static func sortValue(_ term: OrderTerm, _ run: Run) -> SortValue? {
        switch term.entity {
        case .metric:
            guard let metric = run.metrics.first(where: { $0.key == term.key }), !metric.value.isNaN else { return nil }
            return .number(metric.value)
        case .param: return run.params.first(where: { $0.key == term.key }).map { .text($0.value) }
        case .tag: return run.tags.first(where: { $0.key == term.key }).map { .text($0.value) }
        case .attribute, .dataset:
            switch term.key {
            case "start_time", "created": return .number(Double(run.info.startTime))
            case "end_time": return run.info.endTime.map { .number(Double($0)) }
            default: return stringAttribute(term.key, run).map { .text($0) }
            }
        }
    }
}
