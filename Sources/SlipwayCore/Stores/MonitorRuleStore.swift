/// Monitoring rules and where each stands. `recordCheck` is what keeps a breach to one report,
/// across every process sharing the store.
public protocol MonitorRuleStore: Sendable {
    /// Creates a rule or replaces its settings (a replaced rule keeps its state).
    /// - Throws: NOT_FOUND for a model that is not registered.
    func setRule(_ rule: MonitorRule) async throws
    /// - Throws: NOT_FOUND for an unknown rule.
    func getRule(name: String) async throws -> MonitorRuleStatus
    /// Rules by name, of one model or all.
    func listRules(model: String?) async throws -> [MonitorRuleStatus]
    /// - Throws: NOT_FOUND for an unknown rule.
    func deleteRule(name: String) async throws
    /// Records a check made at `time` (`check` is its JSON). When it moves the rule from `from` to
    /// another state, it does so only if the rule is still in `from`, and writes `events` in the
    /// same transaction; false when another check moved it first (nothing is then written).
    func recordCheck(name: String, at time: Int64, check: String, from: MonitorRule.State, to: MonitorRule.State, events: [Event]) async throws -> Bool
}
