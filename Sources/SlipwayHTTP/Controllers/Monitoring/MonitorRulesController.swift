import Hummingbird
import SlipwayCore
import SlipwayJobs

/// Monitoring rules (what `monitor` jobs check, and what a breach does):
/// - `GET /api/v1/monitor/rules?model=`: the rules with their state and last check;
/// - `PUT /api/v1/monitor/rules/{rule}` `{"model": "churn", "reference": "holdout@1", "drift_share": 0.5,
///   "metric": "rmse", "max": 1.2, "window": "1d", "min_labeled": 100, "on_breach": "rollback"}`;
/// - `GET|DELETE /api/v1/monitor/rules/{rule}`;
/// - `POST /api/v1/monitor/rules/{rule}/check`: checks it now, as its job does, and answers what it found.
struct MonitorRulesController: Sendable {
    let rules: any MonitorRuleStore
    let runner: JobRunner
    let maxBodyBytes: Int

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.get("api/v1/monitor/rules") { request, _ -> Response in
            let model = MLflowRequest.queryFields(request.uri.query ?? "")["model"]?.stringValue
            return .json(.object([("rules", .array(try await rules.listRules(model: model).map(\.json)))]))
        }
        router.put("api/v1/monitor/rules/:rule") { request, context -> Response in
            let name = try context.parameters.require("rule")
            let rule = try MonitorRule(json: try await MLflowRequest.jsonBody(request, limit: maxBodyBytes), name: name, at: WallClock.milliseconds())
            try await rules.setRule(rule)
            return .json(try await rules.getRule(name: name).json)
        }
        router.get("api/v1/monitor/rules/:rule") { _, context -> Response in
            .json(try await rules.getRule(name: try context.parameters.require("rule")).json)
        }
        router.delete("api/v1/monitor/rules/:rule") { _, context -> Response in
            try await rules.deleteRule(name: try context.parameters.require("rule"))
            return .emptyJSON
        }
        router.post("api/v1/monitor/rules/:rule/check") { _, context -> Response in
            .json(try await runner.checkRule(try context.parameters.require("rule")).json)
        }
    }
}
