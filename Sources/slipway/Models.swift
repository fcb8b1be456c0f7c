import ArgumentParser
import SlipwayCore
import SlipwayApp
import SlipwayHTTP

struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "Work with registered models.", subcommands: [List.self, Show.self, Alias.self, History.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List registered models with their aliases.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON (MLflow's shape) instead of a table.") var json = false

        func run() async throws {
            try await withServices(store) { services in
                let search = try EntitySearch(.registeredModels, filter: nil, maxResults: 1000, orderBy: ["name ASC"])
                let models = try await services.registry.searchRegisteredModels(search).items
                if json {
                    print(JSONWriter.string(.object([("registered_models", .array(models.map(Wire.registeredModel)))])))
                    return
                }
                var table = TextTable("NAME", "LATEST", "ALIASES", "UPDATED")
                for m in models {
                    let latest = m.latestVersions.map(\.version).max().map(String.init) ?? "-"
                    let aliases = m.aliases.map { "\($0.alias)=v\($0.version)" }.joined(separator: " ")
                    table.add(m.name, latest, aliases.isEmpty ? "-" : aliases, formatTime(m.lastUpdatedTimestamp))
                }
                print(table.render())
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a registered model and its versions.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Registered model name.") var name: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            try await withServices(store) { services in
                let model = try await services.registry.getRegisteredModel(name: name)
                let search = try EntitySearch(.modelVersions, filter: "name = '\(name.replacingOccurrences(of: "'", with: "''"))'", maxResults: 200_000, orderBy: ["version_number DESC"])
                let versions = try await services.registry.searchModelVersions(search).items
                if json {
                    print(JSONWriter.string(.object([
                        ("registered_model", Wire.registeredModel(model)),
                        ("model_versions", .array(versions.map { Wire.modelVersion($0) })),
                    ])))
                    return
                }
                print("Model: \(model.name)")
                if let description = model.description, !description.isEmpty { print("Description: \(description)") }
                if !model.tags.isEmpty { print("Tags: " + model.tags.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) }
                print("")
                var table = TextTable("VERSION", "STAGE", "ALIASES", "RUN ID", "SOURCE", "CREATED")
                for v in versions {
                    table.add(String(v.version), v.currentStage.rawValue, v.aliases.isEmpty ? "-" : v.aliases.joined(separator: ","),
                              v.runID.isEmpty ? "-" : v.runID, v.source, formatTime(v.creationTimestamp))
                }
                print(table.render())
            }
        }
    }

    struct Alias: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "alias", abstract: "Point an alias (e.g. production) at a version; on a model with a promotion policy, moving production is a recorded manual promotion.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Registered model name.") var name: String
        @Argument(help: "Alias, e.g. production.") var alias: String
        @Argument(help: "Version number.") var version: Int

        func run() async throws {
            try await withServices(store) { services in
                try await services.promoter.setAlias(name: name, alias: alias, version: version, actor: cliActor())
                print("\(name)@\(alias) -> version \(version)")
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history", abstract: "The audit log: every decision, approval and rollback, newest first.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Registered model name.") var name: String
        @Option(help: "How many entries.") var limit = 50
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await withServices(store) { services in
                _ = try await services.registry.getRegisteredModel(name: name)
                let records = try await services.promotions.listRecords(name: name, maxResults: limit, pageToken: nil).items
                if json {
                    print(JSONWriter.string(.array(records.map { r in
                        .object([("id", .string(r.id)), ("kind", .string(r.kind.rawValue)), ("actor", .string(r.actor)), ("time", .int(r.time)),
                                 ("action", .string(r.action)), ("from_version", r.fromVersion.map { .string(String($0)) } ?? .null),
                                 ("to_version", r.toVersion.map { .string(String($0)) } ?? .null), ("summary", .string(r.summary)),
                                 ("details", (try? JSONParser.parse(r.details)) ?? .null)])
                    })))
                    return
                }
                var table = TextTable("TIME", "KIND", "ACTOR", "ACTION", "FROM", "TO", "WHY")
                for r in records {
                    table.add(formatTime(r.time), r.kind.rawValue, r.actor, r.action, r.fromVersion.map { "v\($0)" } ?? "-",
                              r.toVersion.map { "v\($0)" } ?? "-", r.summary)
                }
                print(table.render())
            }
        }
    }
}
