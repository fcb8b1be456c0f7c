public import SlipwayCore

extension RemoteModelSource {
    /// Who the credentials of a request to this replica are, as the registry knows them
    /// (`GET /api/v1/tokens/current` with the caller's own Authorization header): nil when the
    /// registry refuses them. - Throws: when the registry cannot say (unreachable, backing off).
    public func identity(authorization: String) async throws -> AuthIdentity? {
        do {
            return try AuthIdentity(json: try await client.json("/api/v1/tokens/current", authorization: authorization))
        } catch let error as SlipwayError where error.code == .unauthenticated {
            return nil
        }
    }
}
