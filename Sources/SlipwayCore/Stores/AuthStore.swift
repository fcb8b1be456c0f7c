/// Users and their API tokens. A token's secret is never stored: the store keeps its hash and
/// compares hashes in constant time.
public protocol AuthStore: Sendable {
    /// - Throws: RESOURCE_ALREADY_EXISTS for a name in use; INVALID_PARAMETER_VALUE for a bad name.
    func createUser(_ user: User) async throws
    func listUsers() async throws -> [User]
    /// Removes a user and revokes every token they hold. - Throws: NOT_FOUND.
    func deleteUser(name: String) async throws
    /// Creates a token for an existing user and returns its text, which nothing can show again.
    /// - Throws: NOT_FOUND for an unknown user; RESOURCE_ALREADY_EXISTS for a token name the user already has.
    func createToken(name: String, user: String, scopes: [TokenScope], at time: Int64, expiresAt: Int64?) async throws -> (token: APIToken, text: String)
    /// Tokens of one user or of all, newest first.
    func listTokens(user: String?) async throws -> [APIToken]
    /// Revokes a token by its id or its text. - Throws: NOT_FOUND.
    func revokeToken(_ idOrText: String, at time: Int64) async throws -> APIToken
    /// The identity a token text stands for at `time`, recording its use; nil for a text that is
    /// not a live token (unknown, revoked, expired, or a user since removed).
    func authenticate(token text: String, at time: Int64) async throws -> AuthIdentity?

    /// Grants `grant.permission` to its user on its resource. - Throws: NOT_FOUND for an unknown
    /// user; RESOURCE_ALREADY_EXISTS when the user has a grant there and `replacing` is false;
    /// NOT_FOUND when `replacing` and there is none.
    func grant(_ grant: ResourceGrant, replacing: Bool) async throws
    /// Removes a user's grant on a resource. - Throws: NOT_FOUND when there is none.
    func revoke(_ type: ResourceType, _ resource: String, user: String) async throws
    /// The user's grant on a resource, if any.
    func grant(_ type: ResourceType, _ resource: String, user: String) async throws -> ResourceGrant?
    /// Every grant of one user.
    func grants(user: String) async throws -> [ResourceGrant]
    /// The grants on a renamed resource follow it; on a deleted one (`to` nil) they go, so that a
    /// resource later created under the same name starts without them.
    func moveGrants(_ type: ResourceType, from: String, to: String?) async throws
}
