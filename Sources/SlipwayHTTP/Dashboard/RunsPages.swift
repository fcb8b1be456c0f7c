import Foundation
import SlipwayCore

/// What the experiment and run pages show, as their twins answer it:
/// - `GET /api/v1/experiments/{id}/table?filter=&order_by=&columns=&page_token=`: a page of 100
///   runs searched with MLflow's filter grammar and order, with the chosen columns (`metrics.rmse`,
///   `params.lr`, `tags.team`; by default the first metrics and params the page's runs logged);
/// - `GET /api/v1/runs/{id}/page` and `GET /api/v1/runs/compare?runs=`: in `RunPage.swift`.
struct RunsPages: Sendable {
    let tracking: any TrackingStore
    let artifacts: any ArtifactRepository
    static let pageSize = 100
    static let defaultColumns = 8

    /// - Parameter visible: whether the caller may see an experiment (per-experiment permissions).
    func experiments(visible: @Sendable (String) async throws -> Bool = { _ in true }) async throws -> JSONValue {
        var found: [Experiment] = []
        for experiment in try await tracking.searchExperiments(
            try EntitySearch(.experiments, filter: nil, maxResults: 1000, orderBy: ["name ASC"]), viewType: .activeOnly
        ).items where try await visible(experiment.id) { found.append(experiment) }
        return .object([("experiments", .array(found.map { e in
            .object([("id", .string(e.id)), ("name", .string(e.name)), ("created_at", Overview.time(e.creationTime)), ("page", .string("/ui/experiments/" + Overview.segment(e.id)))])
        }))])
    }

    func table(experiment id: String, filter: String?, orderBy: String?, columns: String?, pageToken: String?) async throws -> JSONValue {
        let experiment = try await tracking.getExperiment(id: id)
        // Without an order, the search's own: newest first.
        let page = try await tracking.searchRuns(
            try RunSearch(experimentIDs: [id], filter: filter, maxResults: Self.pageSize, orderBy: orderBy.map { [$0] } ?? [], pageToken: pageToken))
        var chosen = columns?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
        var available: [String] = []
        for run in page.items {
            for key in run.metrics.map({ "metrics.\($0.key)" }) + run.params.map({ "params.\($0.key)" }) where !available.contains(key) { available.append(key) }
        }
        available.sort { ($0.hasPrefix("metrics.") ? 0 : 1, $0) < ($1.hasPrefix("metrics.") ? 0 : 1, $1) }
        if columns == nil { chosen = Array(available.prefix(Self.defaultColumns)) }
        for column in chosen where !(column.hasPrefix("metrics.") || column.hasPrefix("params.") || column.hasPrefix("tags.")) {
            throw SlipwayError.invalidParameter("Column '\(column)' is not metrics.KEY, params.KEY or tags.KEY")
        }
        let rows: [JSONValue] = page.items.map { run in
            let cells: [JSONValue] = chosen.map { column in
                let key = String(column.drop { $0 != "." }.dropFirst())
                let value: String? = if column.hasPrefix("metrics.") {
                    run.metrics.first { $0.key == key }.map { String(format: "%.6g", $0.value) }
                } else if column.hasPrefix("params.") {
                    run.params.first { $0.key == key }?.value
                } else {
                    run.tags.first { $0.key == key }?.value
                }
                return .object([("column", .string(column)), ("value", value.map(JSONValue.string) ?? .null)])
            }
            return .object([
                ("run_id", .string(run.info.runID)), ("run_name", .string(run.info.runName)), ("status", .string(run.info.status.rawValue)),
                ("start_time", Overview.time(run.info.startTime)),
                ("duration_s", run.info.endTime.map { .number(Double($0 - run.info.startTime) / 1000) } ?? .null),
                ("page", .string("/ui/runs/" + Overview.segment(run.info.runID))), ("cells", .array(cells)),
            ])
        }
        func query(_ items: [(String, String?)]) -> String {
            var components = URLComponents()
            components.queryItems = items.compactMap { key, value in value.map { URLQueryItem(name: key, value: $0) } }
            return components.percentEncodedQuery.map { "?" + $0 } ?? ""
        }
        let base = "/ui/experiments/" + Overview.segment(id)
        let columnsText = chosen.joined(separator: ",")
        let headers: [JSONValue] = chosen.map { column in
            let descending = orderBy == "\(column) DESC"
            return .object([
                ("column", .string(column)), ("sorted", .string(orderBy?.hasPrefix(column + " ") == true ? (descending ? "▼" : "▲") : "")),
                ("sort", .string(base + query([("filter", filter), ("order_by", "\(column) \(descending ? "ASC" : "DESC")"), ("columns", columnsText)]))),
            ])
        }
        var fields: [(String, JSONValue)] = [
            ("experiment", .object([("id", .string(experiment.id)), ("name", .string(experiment.name))])),
            ("filter", filter.map(JSONValue.string) ?? .null), ("order_by", .string(orderBy ?? "attributes.start_time DESC")), ("columns", .array(chosen.map(JSONValue.string))),
            ("columns_text", .string(columnsText)), ("available_columns", .array(available.map(JSONValue.string))),
            ("headers", .array(headers)), ("runs", .array(rows)), ("count", .int(rows.count)),
        ]
        if let token = page.nextPageToken {
            fields.append(("next_page_token", .string(token)))
            fields.append(("next", .string(base + query([("filter", filter), ("order_by", orderBy), ("columns", columnsText), ("page_token", token)]))))
        }
        return .object(fields)
    }
}
