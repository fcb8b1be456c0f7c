/// Promotion policies, the audit log, and the one transaction that moves aliases and stages,
/// writes the audit record and queues its events together.
public protocol PromotionStore: Sendable {
    func getPolicy(name: String) async throws -> PromotionPolicy?
    /// Creates or replaces the model's policy. - Throws: RESOURCE_DOES_NOT_EXIST for an unknown model.
    func setPolicy(_ policy: PromotionPolicy) async throws
    func deletePolicy(name: String) async throws
    func listPolicies() async throws -> [PromotionPolicy]
    /// - Throws: RESOURCE_CONFLICT when `production` no longer points where the change expects.
    func apply(_ change: PromotionChange) async throws
    /// The model's audit log, newest first.
    func listRecords(name: String, maxResults: Int, pageToken: String?) async throws -> Page<PromotionRecord>
}
