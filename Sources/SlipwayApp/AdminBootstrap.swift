public import SlipwayCore

extension AppServices {
    /// On a server with auth and no users yet: creates the admin user `admin` and an admin token
    /// that never expires, and returns its text, to be shown once. Nil when there are users already.
    public func bootstrapAdmin(at time: Int64 = WallClock.milliseconds()) async throws -> (token: APIToken, text: String)? {
        guard try await api.auth.listUsers().isEmpty else { return nil }
        try await api.auth.createUser(User(name: "admin", isAdmin: true, createdAt: time))
        return try await api.auth.createToken(name: "first-start", user: "admin", scopes: [.admin], at: time, expiresAt: nil)
    }
}
