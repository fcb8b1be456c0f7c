import ArgumentParser
import SlipwayApp
import SlipwayCore

/// `slipway tokens create|list|revoke`: API tokens, shown once and stored hashed.
struct Tokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "API tokens: create one for a user with scopes and a lifetime, list them, revoke them.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Create a token and print it once, e.g. tokens create ci --user alice --scope write --expires 90d.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Token name (what it is for), unique among the user's live tokens.") var name: String
        @Option(help: "The user the token acts as.") var user: String
        @Option(help: "read, write, promote, admin or predict; repeat or separate with commas.") var scope: [String] = []
        @Option(help: "Lifetime: 90d, 12h, 30m, or never.") var expires = "90d"

        func run() async throws {
            let scopes: [TokenScope]
            let lifetime: Int64?
            do {
                scopes = try TokenScope.parse(scope)
                lifetime = try APIToken.lifetime(expires)
            } catch {
                throw ValidationError(error.message)
            }
            try await withServices(store) { services in
                let now = WallClock.milliseconds()
                let (token, text) = try await services.auth.createToken(
                    name: name, user: user, scopes: scopes, at: now, expiresAt: lifetime.map { now + $0 })
                print(text)
                // The token alone on standard output (TOKEN=$(slipway tokens create ...)); what it is on standard error.
                printNote(
                    "token '\(token.name)' (id \(token.id)) for \(token.user): \(token.scopes.map(\.rawValue).joined(separator: ",")), "
                        + "expires \(token.expiresAt.map(formatTime) ?? "never"). It is shown this once; Slipway keeps only its hash.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens, newest first (never their secrets).")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only this user's tokens.") var user: String?

        func run() async throws {
            try await withServices(store) { services in
                let now = WallClock.milliseconds()
                var table = TextTable("ID", "NAME", "USER", "SCOPES", "STATE", "EXPIRES (UTC)", "LAST USED (UTC)")
                for token in try await services.auth.listTokens(user: user) {
                    table.add(token.id, token.name, token.user, token.scopes.map(\.rawValue).joined(separator: ","), token.state(at: now),
                              token.expiresAt.map(formatTime) ?? "never", token.lastUsedAt.map(formatTime) ?? "-")
                }
                print(table.render())
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by its id (or its whole text); it stops working at once.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Token id, as tokens list shows it, or the token itself.") var token: String

        func run() async throws {
            try await withServices(store) { services in
                let revoked = try await services.auth.revokeToken(token, at: WallClock.milliseconds())
                print("\(revoked.id): revoked ('\(revoked.name)' of \(revoked.user))")
            }
        }
    }
}
