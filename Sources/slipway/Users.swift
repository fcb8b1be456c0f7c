import ArgumentParser
import SlipwayApp
import SlipwayCore

/// `slipway users add|list|remove`: the people and machines that hold API tokens.
struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Users: who may hold API tokens (slipway tokens create).", subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a user, e.g. users add alice, or users add ops --admin.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "User name: letters, digits, '_', '.', '@' or '-'.") var name: String
        @Flag(help: "An admin may do everything, whatever the scopes of their token.") var admin = false

        func run() async throws {
            try await withServices(store) { services in
                try await services.auth.createUser(User(name: name, isAdmin: admin, createdAt: WallClock.milliseconds()))
                print("\(name): added\(admin ? " (admin)" : "")")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List users with their live tokens.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await withServices(store) { services in
                let now = WallClock.milliseconds()
                let tokens = try await services.auth.listTokens(user: nil)
                var table = TextTable("USER", "ADMIN", "LIVE TOKENS", "CREATED (UTC)")
                for user in try await services.auth.listUsers() {
                    let live = tokens.filter { $0.user == user.name && $0.state(at: now) == "active" }.count
                    table.add(user.name, user.isAdmin ? "yes" : "no", String(live), formatTime(user.createdAt))
                }
                print(table.render())
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a user; every token they hold is revoked.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "User name.") var name: String

        func run() async throws {
            try await withServices(store) { services in
                try await services.auth.deleteUser(name: name)
                print("\(name): removed, tokens revoked")
            }
        }
    }
}
