import Crypto
public import SlipwayCore
import SQLKit

/// Users and API tokens over SQL. A token is found by its public id, then its hash is compared in
/// constant time, so neither a lookup nor a comparison tells an attacker how close a guess came.
public struct SQLAuthStore: AuthStore {
    let database: StoreDatabase

    public init(database: StoreDatabase) {
        self.database = database
    }

    public func createUser(_ user: User) async throws {
        try User.validate(name: user.name)
        try await database.transaction { db in
            try await database.announce(db, .token, "user:" + user.name)
            if try await database.first(db, "SELECT 1 AS one FROM users WHERE name = \(bind: user.name)") != nil {
                throw SlipwayError(.resourceAlreadyExists, "A user named '\(user.name)' already exists")
            }
            try await database.run(db, """
                INSERT INTO users (name, is_admin, created_at) VALUES (\(bind: user.name), \(bind: user.isAdmin ? 1 : 0), \(bind: user.createdAt))
                """)
        }
    }

    public func listUsers() async throws -> [User] {
        try await database.withConnection { db in
            try await database.rows(db, "SELECT * FROM users ORDER BY name").map { row in
                User(name: try row.string("name"), isAdmin: try row.int("is_admin") != 0, createdAt: try row.int64("created_at"))
            }
        }
    }

    public func deleteUser(name: String) async throws {
        try await database.transaction { db in
            try await database.announce(db, .token, "user:" + name)
            guard try await database.first(db, "DELETE FROM users WHERE name = \(bind: name) RETURNING name") != nil else {
                throw SlipwayError.notFound("No user named '\(name)'")
            }
            // Kept for the record, and dead: a user of the same name created later does not inherit them.
            try await database.run(db, """
                UPDATE api_tokens SET revoked_at = \(bind: WallClock.milliseconds()) WHERE user_name = \(bind: name) AND revoked_at IS NULL
                """)
            // Nor their permissions.
            try await database.run(db, "DELETE FROM resource_permissions WHERE user_name = \(bind: name)")
        }
    }

    public func createToken(name: String, user: String, scopes: [TokenScope], at time: Int64, expiresAt: Int64?) async throws -> (token: APIToken, text: String) {
        guard !name.isEmpty, name.utf8.count <= 100 else { throw SlipwayError.invalidParameter("A token name is 1 to 100 bytes") }
        guard !scopes.isEmpty else { throw SlipwayError.invalidParameter("A token needs at least one scope") }
        if let expiresAt, expiresAt <= time { throw SlipwayError.invalidParameter("A token cannot expire before it is created") }
        let (id, text) = APIToken.generate()
        let token = APIToken(id: id, name: name, user: user, scopes: scopes, createdAt: time, expiresAt: expiresAt)
        try await database.transaction { db in
            guard try await database.first(db, "SELECT 1 AS one FROM users WHERE name = \(bind: user)") != nil else {
                throw SlipwayError.notFound("No user named '\(user)' (add one with: slipway users add \(user))")
            }
            if try await database.first(db, """
                SELECT 1 AS one FROM api_tokens WHERE user_name = \(bind: user) AND name = \(bind: name) AND revoked_at IS NULL
                """) != nil {
                throw SlipwayError(.resourceAlreadyExists, "User '\(user)' already has a live token named '\(name)'")
            }
            try await database.run(db, """
                INSERT INTO api_tokens (id, name, user_name, token_hash, scopes, created_at, expires_at)
                VALUES (\(bind: id), \(bind: name), \(bind: user), \(bind: Self.hash(text)), \(bind: scopes.map(\.rawValue).joined(separator: ",")),
                        \(bind: time), \(bind: expiresAt))
                """)
        }
        return (token, text)
    }

    public func listTokens(user: String?) async throws -> [APIToken] {
        try await database.withConnection { db in
            let rows = if let user {
                try await database.rows(db, "SELECT * FROM api_tokens WHERE user_name = \(bind: user) ORDER BY created_at DESC, id")
            } else {
                try await database.rows(db, "SELECT * FROM api_tokens ORDER BY created_at DESC, id")
            }
            return try rows.map(Self.token)
        }
    }

    public func revokeToken(_ idOrText: String, at time: Int64) async throws -> APIToken {
        let id = APIToken.id(of: idOrText) ?? idOrText
        return try await database.transaction { db in
            try await database.announce(db, .token, id)
            guard let row = try await database.first(db, "SELECT * FROM api_tokens WHERE id = \(bind: id)") else {
                throw SlipwayError.notFound("No token with id '\(id.prefix(40))'")
            }
            var token = try Self.token(row)
            if token.revokedAt == nil {
                try await database.run(db, "UPDATE api_tokens SET revoked_at = \(bind: time) WHERE id = \(bind: id)")
                token.revokedAt = time
            }
            return token
        }
    }

    public func authenticate(token text: String, at time: Int64) async throws -> AuthIdentity? {
        guard let id = APIToken.id(of: text) else { return nil }
        let presented = Self.hash(text)
        return try await database.withConnection { db in
            guard let row = try await database.first(db, """
                SELECT t.*, u.is_admin FROM api_tokens t JOIN users u ON u.name = t.user_name WHERE t.id = \(bind: id)
                """) else { return nil }
            let token = try Self.token(row)
            guard Self.constantTimeEqual(try row.string("token_hash"), presented), token.state(at: time) == "active" else { return nil }
            // Last use to the minute: one write a minute per token, not one per request.
            if token.lastUsedAt.map({ $0 < time - 60_000 }) ?? true {
                try await database.run(db, "UPDATE api_tokens SET last_used_at = \(bind: time) WHERE id = \(bind: id)")
            }
            return AuthIdentity(user: token.user, scopes: token.scopes, isAdmin: try row.int("is_admin") != 0, tokenID: id, expiresAt: token.expiresAt)
        }
    }

    /// SHA-256 of a token's text, hex. Tokens carry 160 random bits, so a fast hash is enough.
    static func hash(_ text: String) -> String {
        ArtifactManifest.hex(SHA256.hash(data: Array(text.utf8)))
    }

    /// Equal strings of equal length, compared without stopping at the first difference.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    static func token(_ row: StoreRow) throws -> APIToken {
        APIToken(
            id: try row.string("id"), name: try row.string("name"), user: try row.string("user_name"),
            scopes: try row.string("scopes").split(separator: ",").compactMap { TokenScope(rawValue: String($0)) },
            createdAt: try row.int64("created_at"), expiresAt: try row.optionalInt64("expires_at"), lastUsedAt: try row.optionalInt64("last_used_at"),
            revokedAt: try row.optionalInt64("revoked_at"))
    }
}
