import SlipwayCore
import SlipwayStore
import SlipwayTestSupport
import Testing

@Suite("Users and API tokens (SQLite and PostgreSQL)")
struct AuthStoreTests {
    @Test("A token authenticates as its user with its scopes until it expires, is revoked or its user is removed", arguments: TestBackend.available)
    func tokenLifecycle(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let auth = SQLAuthStore(database: db)
            try await auth.createUser(User(name: "alice", isAdmin: false, createdAt: 1))
            try await auth.createUser(User(name: "ops", isAdmin: true, createdAt: 2))
            await expectError(.resourceAlreadyExists) { try await auth.createUser(User(name: "alice", isAdmin: true, createdAt: 3)) }
            await expectError(.invalidParameterValue) { try await auth.createUser(User(name: "a b", isAdmin: false, createdAt: 3)) }
            #expect(try await auth.listUsers().map(\.name) == ["alice", "ops"])

            let (ci, ciText) = try await auth.createToken(name: "ci", user: "alice", scopes: [.write], at: 1_000, expiresAt: 10_000)
            #expect(ciText.hasPrefix("slw_") && APIToken.id(of: ciText) == ci.id)
            let identity = try await auth.authenticate(token: ciText, at: 2_000)
            #expect(identity == AuthIdentity(user: "alice", scopes: [.write], isAdmin: false, tokenID: ci.id, expiresAt: 10_000))
            #expect(identity?.allows(.read) == true && identity?.allows(.write) == true && identity?.allows(.promote) == false)
            #expect(try await auth.listTokens(user: "alice").first?.lastUsedAt == 2_000)

            // A wrong secret with the right id, a text of another shape, an expired token: nobody.
            var forged = Array(ciText)
            forged[forged.count - 1] = forged.last == "a" ? "b" : "a"
            #expect(try await auth.authenticate(token: String(forged), at: 2_000) == nil)
            #expect(try await auth.authenticate(token: "Bearer " + ciText, at: 2_000) == nil)
            #expect(try await auth.authenticate(token: ciText, at: 10_000) == nil)
            #expect(try await auth.listTokens(user: nil).first?.state(at: 10_000) == "expired")

            await expectError(.resourceDoesNotExist) { _ = try await auth.createToken(name: "x", user: "bob", scopes: [.read], at: 1, expiresAt: nil) }
            await expectError(.resourceAlreadyExists) { _ = try await auth.createToken(name: "ci", user: "alice", scopes: [.read], at: 1, expiresAt: nil) }
            await expectError(.invalidParameterValue) { _ = try await auth.createToken(name: "late", user: "alice", scopes: [.read], at: 5, expiresAt: 5) }

            let (admin, adminText) = try await auth.createToken(name: "root", user: "ops", scopes: [.read], at: 3_000, expiresAt: nil)
            #expect(try await auth.authenticate(token: adminText, at: 4_000)?.allows(.admin) == true)
            let revoked = try await auth.revokeToken(adminText, at: 5_000)
            #expect(revoked.id == admin.id && revoked.revokedAt == 5_000)
            #expect(try await auth.authenticate(token: adminText, at: 6_000) == nil)
            await expectError(.resourceDoesNotExist) { _ = try await auth.revokeToken("nosuchtoken", at: 1) }

            let (_, readText) = try await auth.createToken(name: "reader", user: "alice", scopes: [.read], at: 3_000, expiresAt: nil)
            #expect(try await auth.authenticate(token: readText, at: 4_000) != nil)
            try await auth.deleteUser(name: "alice")
            #expect(try await auth.authenticate(token: readText, at: 4_001) == nil)
            #expect(try await auth.listTokens(user: "alice").allSatisfy { $0.revokedAt != nil })
            // A new user of the same name does not inherit the old tokens.
            try await auth.createUser(User(name: "alice", isAdmin: false, createdAt: 9))
            #expect(try await auth.authenticate(token: readText, at: 4_002) == nil)
            await expectError(.resourceDoesNotExist) { try await auth.deleteUser(name: "nobody") }
        }
    }

    @Test("Scopes parse from the command line, imply reading where the server needs it, and lifetimes read as lengths")
    func scopesAndLifetimes() throws {
        #expect(try TokenScope.parse(["write,read", "read"]) == [.read, .write])
        #expect(throws: SlipwayError.self) { try TokenScope.parse(["root"]) }
        #expect(throws: SlipwayError.self) { try TokenScope.parse([]) }
        #expect(TokenScope.promote.allows(.read) && !TokenScope.read.allows(.write) && !TokenScope.write.allows(.promote))
        #expect(TokenScope.admin.allows(.predict) && !TokenScope.read.allows(.predict))
        #expect(try APIToken.lifetime("90d") == 90 * 86_400_000 && APIToken.lifetime("never") == nil)
        #expect(throws: SlipwayError.self) { try APIToken.lifetime("0d") }
        #expect(throws: SlipwayError.self) { try APIToken.lifetime("soon") }
        let (id, text) = APIToken.generate()
        #expect(APIToken.id(of: text) == id && APIToken.generate().text != text)
        #expect(APIToken.id(of: "slw_short_x") == nil && APIToken.id(of: String(repeating: "a", count: 5000)) == nil)
    }

    @Test("Per-model grants: one per user and model, updated, revoked, moved with a rename, gone with the model or the user", arguments: TestBackend.available)
    func grants(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let auth = SQLAuthStore(database: db)
            try await auth.createUser(User(name: "alice", isAdmin: false, createdAt: 1))
            try await auth.createUser(User(name: "bob", isAdmin: false, createdAt: 1))
            let read = ResourceGrant(type: .registeredModel, resource: "churn", user: "bob", permission: .read)
            try await auth.grant(read, replacing: false)
            await expectError(.resourceAlreadyExists) { try await auth.grant(read, replacing: false) }
            await expectError(.resourceDoesNotExist) {
                try await auth.grant(ResourceGrant(type: .registeredModel, resource: "churn", user: "carol", permission: .read), replacing: false)
            }
            await expectError(.resourceDoesNotExist) {
                try await auth.grant(ResourceGrant(type: .registeredModel, resource: "other", user: "bob", permission: .edit), replacing: true)
            }
            var edit = read
            edit.permission = .edit
            try await auth.grant(edit, replacing: true)
            #expect(try await auth.grant(.registeredModel, "churn", user: "bob") == edit)
            try await auth.grant(ResourceGrant(type: .registeredModel, resource: "churn", user: "alice", permission: .manage), replacing: false)
            try await auth.grant(ResourceGrant(type: .registeredModel, resource: "fraud", user: "bob", permission: .noPermissions), replacing: false)
            #expect(try await auth.grants(user: "bob").map(\.resource) == ["churn", "fraud"])

            try await auth.moveGrants(.registeredModel, from: "churn", to: "churn-v2")
            #expect(try await auth.grant(.registeredModel, "churn", user: "bob") == nil)
            #expect(try await auth.grant(.registeredModel, "churn-v2", user: "alice")?.permission == .manage)
            try await auth.moveGrants(.registeredModel, from: "churn-v2", to: nil)
            #expect(try await auth.grants(user: "alice").isEmpty)

            try await auth.revoke(.registeredModel, "fraud", user: "bob")
            await expectError(.resourceDoesNotExist) { try await auth.revoke(.registeredModel, "fraud", user: "bob") }
            try await auth.grant(ResourceGrant(type: .registeredModel, resource: "fraud", user: "bob", permission: .read), replacing: false)
            try await auth.deleteUser(name: "bob")
            try await auth.createUser(User(name: "bob", isAdmin: false, createdAt: 2))
            #expect(try await auth.grants(user: "bob").isEmpty)
            #expect(Permission.manage.allows(.edit) && Permission.read.allows(.read) && !Permission.noPermissions.allows(.read))
            #expect(throws: SlipwayError.self) { try Permission.parse("OWNER") }
        }
    }
}
