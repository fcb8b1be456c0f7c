import SlipwayCore
import SQLKit

/// The SQL of one page of a run search: the filter, the order (terms, then newest start, then run
/// id) and the keyset. When the first term is a metric, param or tag, the page is read in two
/// parts so that an index gives the order: the runs that have the value (joined, in the order of
/// the `(key, value)` index), then, if the page is not full, the runs without it.
extension SQLTrackingStore {
    struct RunQuery {
        var experimentIDs: [Int64]
        var stages: [String]
        var filter: SQLQueryString
        var order: [OrderTerm]
        var limit: Int
    }

    func runIDs(_ db: any SQLDatabase, _ query: RunQuery, _ cursor: RunKeyset.Cursor) async throws -> [String] {
        var keyset: RunKeyset?
        var offset = 0
        switch cursor {
        case .offset(let n): offset = n
        case .after(let after): keyset = after
        }
        func ids(_ sql: SQLQueryString) async throws -> [String] {
            try await database.rows(db, sql).map { try $0.string("run_uuid") }
        }
        guard let first = query.order.first, [.metric, .param, .tag].contains(first.entity), offset == 0 else {
            return try await ids(Self.pageSQL(query, Self.orderSources(query.order), keyset: keyset, offset: offset))
        }
        var found: [String] = []
        if keyset.map({ $0.values[0] != nil }) ?? true {
            found = try await ids(Self.pageSQL(query, Self.orderSources(query.order, valuedFirst: true), keyset: keyset))
        }
        if found.count < query.limit {
            var rest = query
            rest.limit -= found.count
            var sources = Self.orderSources(query.order)
            let missing = sources[0].expression + " IS NULL"
            sources[0].redundant = true  // every run here lacks it
            found += try await ids(Self.pageSQL(rest, sources, keyset: keyset.flatMap { $0.values[0] == nil ? $0 : nil }, extra: missing))
        }
        return found
    }

    static func pageSQL(_ q: RunQuery, _ sources: [OrderSource], keyset: RunKeyset?, offset: Int = 0, extra: SQLQueryString? = nil) -> SQLQueryString {
        var sql: SQLQueryString = "SELECT runs.run_uuid FROM runs"
        for source in sources { if let join = source.join { sql += " " + join } }
        sql += " WHERE runs.experiment_id IN (\(binds: q.experimentIDs)) AND runs.lifecycle_stage IN (\(binds: q.stages)) AND " + q.filter
        if let extra { sql += " AND " + extra }
        if let keyset { sql += " AND " + keysetCondition(keyset, sources) }
        var orderParts: [SQLQueryString] = sources.filter { !$0.redundant }.map { source in
            let direction: SQLQueryString = " \(unsafeRaw: source.term.ascending ? "ASC" : "DESC")"
            // Runs without the value sort last in either direction, as in MLflow.
            return source.nullable ? "(CASE WHEN " + source.expression + " IS NULL THEN 1 ELSE 0 END), " + source.expression + direction : source.expression + direction
        }
        orderParts.append("runs.start_time DESC, runs.run_uuid ASC")
        return sql + " ORDER BY " + orderParts.joined(separator: ", ") + " LIMIT \(bind: q.limit) OFFSET \(bind: offset)"
    }

    /// What an order term sorts by in SQL: a value joined in (a metric, param or tag: one lookup
    /// per run, not a subquery per comparison) or a column of `runs`.
    struct OrderSource {
        var term: OrderTerm
        var join: SQLQueryString?
        var expression: SQLQueryString
        /// Whether a run can lack the value (then it sorts last).
        var nullable: Bool
        /// `start_time DESC` as the last term: the order every search ends with anyway, left out so
        /// that the index on (experiment_id, start_time) gives the order.
        var redundant: Bool
    }

    /// `valuedFirst`: the first term's value joined as an inner join (runs that have it, a metric
    /// not NaN), so it is never null.
    static func orderSources(_ order: [OrderTerm], valuedFirst: Bool = false) -> [OrderSource] {
        order.enumerated().map { i, term in
            let alias = "o\(i)"
            let table = switch term.entity {
            case .metric: "latest_metrics"
            case .param: "params"
            case .tag: "tags"
            case .attribute, .dataset: ""
            }
            guard !table.isEmpty else {
                let column = Self.runColumn(term.key)
                return OrderSource(
                    term: term, join: nil, expression: "runs.\(unsafeRaw: column)", nullable: column == "end_time",
                    redundant: column == "start_time" && !term.ascending && i == order.count - 1)
            }
            let on: SQLQueryString = "\(unsafeRaw: table) \(unsafeRaw: alias) ON \(unsafeRaw: alias).run_uuid = runs.run_uuid AND \(unsafeRaw: alias).key = \(bind: term.key)"
            if valuedFirst && i == 0 {
                let valued: SQLQueryString = term.entity == .metric ? " AND \(unsafeRaw: alias).is_nan = 0" : ""
                return OrderSource(term: term, join: "JOIN " + on + valued, expression: "\(unsafeRaw: alias).value", nullable: false, redundant: false)
            }
            let expression: SQLQueryString = term.entity == .metric
                ? "(CASE WHEN \(unsafeRaw: alias).is_nan = 1 THEN NULL ELSE \(unsafeRaw: alias).value END)" : "\(unsafeRaw: alias).value"
            return OrderSource(term: term, join: "LEFT JOIN " + on, expression: expression, nullable: true, redundant: false)
        }
    }

    /// Runs strictly after `keyset` in the search's order: for some term, every earlier term ties
    /// and this one is beyond (a missing value is beyond any value, in either direction). The last
    /// alternative bounds `start_time` so that, without other terms, the index can seek to the page.
    static func keysetCondition(_ keyset: RunKeyset, _ terms: [OrderSource]) -> SQLQueryString {
        var ties: [SQLQueryString] = []
        var alternatives: [SQLQueryString] = []
        for (source, value) in zip(terms, keyset.values) where !source.redundant {
            let expression = source.expression
            guard let value else {
                ties.append(expression + " IS NULL")
                continue
            }
            let bound: SQLQueryString = switch (value, source.term.entity) {
            case (.number(let x), .attribute): "\(bind: Int64(x))"
            case (.number(let x), _): "\(bind: x)"
            case (.text(let s), _): "\(bind: s)"
            }
            let comparison: SQLQueryString = expression + (source.term.ascending ? " > " : " < ") + bound
            alternatives.append((ties + [source.nullable ? "(" + expression + " IS NULL OR " + comparison + ")" : comparison]).joined(separator: " AND "))
            ties.append(expression + " = " + bound)
        }
        alternatives.append((ties + [
            "runs.start_time <= \(bind: keyset.startTime)",
            "(runs.start_time < \(bind: keyset.startTime) OR runs.run_uuid > \(bind: keyset.runID))",
        ]).joined(separator: " AND "))
        return "(" + alternatives.map { "(" + $0 + ")" }.joined(separator: " OR ") + ")"
    }
}
