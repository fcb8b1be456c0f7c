import Hummingbird
import SlipwayCore
import SlipwayJobs

/// Monitoring rules (what `monitor` jobs check, and what a breach does):
/// - `GET /api/v1/monitor/rules?model=`: the rules with their state and last check;
/// - `PUT /api/v1/monitor/rules/{rule}` `{"model": "churn", "reference": "holdout@1", "drift_share": 0.5,
///   "metric": "rmse", "max": 1.2, "window": "1d", "min_labeled": 100, "on_breach": "rollback"}`;
/// - `GET|DELETE /api/v1/monitor/rules/{rule}`;
/// - `POST /api/v1/monitor/rules/{rule}/check`: checks it now, as its job does, and answers what it found.
///
/// With auth, a rule is its model's: listing shows the rules of models the caller may read; reading
/// one needs READ on its model, changing, removing or checking one EDIT (on the model it had too).
/// A rule whose breach rolls production back needs the `promote` scope; one that runs a job, `admin`.
struct MonitorRulesController: Sendable {
    let rules: any MonitorRuleStore
    let runner: JobRunner
    let maxBodyBytes: Int
    var gate: PermissionGate? = nil

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.get("api/v1/monitor/rules") { request, context -> Response in
            let model = MLflowRequest.queryFields(request.uri.query ?? "")["model"]?.stringValue
            var shown: [JSONValue] = []
            for rule in try await rules.listRules(model: model) where try await gate?.canRead(context.identity, .registeredModel, rule.rule.model) ?? true {
                shown.append(rule.json)
            }
            return .json(.object([("rules", .array(shown))]))
        }
        router.put("api/v1/monitor/rules/:rule") { request, context -> Response in
            let name = try context.parameters.decoded("rule")
            let rule = try MonitorRule(json: try await MLflowRequest.jsonBody(request, limit: maxBodyBytes), name: name, at: WallClock.milliseconds())
            try await authorize(rule, context.identity)
            if let existing = try? await rules.getRule(name: name) { try await gate?.require(context.identity, .edit, .registeredModel, existing.rule.model) }
            try await rules.setRule(rule)
            return .json(try await rules.getRule(name: name).json)
        }
        router.get("api/v1/monitor/rules/:rule") { _, context -> Response in
            let status = try await rules.getRule(name: try context.parameters.decoded("rule"))
            try await gate?.require(context.identity, .read, .registeredModel, status.rule.model)
            return .json(status.json)
        }
        router.delete("api/v1/monitor/rules/:rule") { _, context -> Response in
            let name = try context.parameters.decoded("rule")
            try await gate?.require(context.identity, .edit, .registeredModel, try await rules.getRule(name: name).rule.model)
            try await rules.deleteRule(name: name)
            return .emptyJSON
        }
        router.post("api/v1/monitor/rules/:rule/check") { _, context -> Response in
            let name = try context.parameters.decoded("rule")
            try await authorize(try await rules.getRule(name: name).rule, context.identity)
            return .json(try await runner.checkRule(name).json)
        }
    }

    /// - Throws: PERMISSION_DENIED unless the caller may change `rule`'s model and do what its breach does.
    func authorize(_ rule: MonitorRule, _ identity: AuthIdentity?) async throws {
        guard let identity else { return }
        try await gate?.require(identity, .edit, .registeredModel, rule.model)
        let needed: TokenScope? = switch rule.action {
        case .rollback: .promote
        case .job: .admin
        case .notify: nil
        }
        if let needed, !identity.allows(needed) {
            throw SlipwayError(.permissionDenied, "User '\(identity.user)' may not set or check a rule that does '\(rule.action)' on a breach: it needs the \(needed.rawValue) scope")
        }
    }
}
