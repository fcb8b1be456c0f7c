import Hummingbird
import SlipwayCore
import SlipwayJobs

/// The model page's buttons, plain forms that work without JavaScript:
/// - `GET /ui/models/{name}/promote`: the policy's dry run (the table `slipway promote --dry-run`
///   prints, from the same decision `POST /api/v1/models/{name}/promote {"dry_run": true}` answers),
///   with a button that applies it;
/// - `POST /ui/models/{name}/promote`, `.../approve` (form field `version`), `.../rollback`: the
///   action, then a page with its answer (the audit record, or the error);
/// - `POST /ui/models/{name}/deliveries/{id}/replay`: a webhook delivery sent again (as
///   `POST /api/v1/deliveries/{id}/replay`), then its answer.
extension DashboardController {
    func addActionRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.get("ui/models/:name/promote") { _, context -> Response in
            let name = try Self.name(context)
            return try await Self.answering(name) {
                let decision = try await promoter.decide(name)
                return try Self.html(DashboardPages.render("promote", title: "Promote \(name)", data: Self.decisionJSON(name, decision)))
            }
        }
        router.post("ui/models/:name/promote") { _, context -> Response in
            let name = try Self.name(context)
            return try await Self.answering(name) {
                let (decision, record) = try await promoter.promote(name, actor: context.actor)
                return try Self.answer(name, record: record, headline: "Decision: \(decision.action.rawValue)" + (decision.challenger.map { " v\($0)" } ?? ""))
            }
        }
        router.post("ui/models/:name/approve") { request, context -> Response in
            let name = try Self.name(context)
            let form = try await Self.form(request)
            return try await Self.answering(name) {
                guard let version = form["version"].flatMap({ Int($0) }) else { throw SlipwayError.invalidParameter("Approving needs the staged version") }
                let record = try await promoter.approve(name, version: version, actor: context.actor)
                return try Self.answer(name, record: record, headline: "Approved v\(version)")
            }
        }
        router.post("ui/models/:name/rollback") { _, context -> Response in
            let name = try Self.name(context)
            return try await Self.answering(name) {
                let record = try await promoter.rollback(name, actor: context.actor)
                return try Self.answer(name, record: record, headline: "Rolled back to v\(record.toVersion.map(String.init) ?? "?")")
            }
        }
        router.post("ui/models/:name/deliveries/:id/replay") { _, context -> Response in
            let name = try Self.name(context)
            let id = try context.parameters.decoded("id")
            return try await Self.answering(name) {
                let delivery = try await model.deliveries.replay(id: id, now: WallClock.milliseconds())
                return try Self.answer(name, headline: "Delivery \(delivery.id) queued again: \(delivery.status.rawValue), next attempt \(Overview.timeText(delivery.nextAttemptAt)) UTC")
            }
        }
    }

    /// The page `body` makes, or a page with the error it threw, with the error's status.
    static func answering(_ name: String, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as SlipwayError {
            return try answer(name, error: error)
        }
    }

    /// The decision as the API writes it, with the values as the CLI prints them.
    static func decisionJSON(_ name: String, _ decision: PromotionDecision) -> JSONValue {
        guard case .object(var fields) = decision.json else { return .null }
        fields.append(("page", .string(Overview.page(name))))
        fields.append(("rows", .array(decision.considered.map { row in
            .object([
                ("version", .string(String(row.version))), ("value", .string(row.value.map { String(format: "%.6g", $0) } ?? "-")),
                ("candidate", .string(row.eligible ? "yes" : "no")), ("note", .string(row.note)),
            ])
        })))
        fields.append(("changes", .bool(decision.action != .none)))
        return .object(fields)
    }

    /// A page with what an action answered.
    static func answer(_ name: String, record: PromotionRecord? = nil, headline: String = "", error: SlipwayError? = nil) throws -> Response {
        var fields: [(String, JSONValue)] = [("name", .string(name)), ("page", .string(Overview.page(name)))]
        if !headline.isEmpty { fields.append(("headline", .string(headline))) }
        if let record { fields += [("summary", .string(record.summary)), ("record_id", .string(record.id))] }
        if let error { fields += [("error", .string(error.message)), ("code", .string(error.code.rawValue))] }
        var response = try html(DashboardPages.render("answer", title: name, data: .object(fields)))
        if let error { response.status = Response.mlflowError(error).status }
        return response
    }

    /// An `application/x-www-form-urlencoded` body.
    static func form(_ request: Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: 64 << 10)
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if let key = parts.first { fields[key] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }
}
