import ArgumentParser
import SlipwayCore
import SlipwayApp
import SlipwayHTTP

struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "Work with registered models.", subcommands: [List.self, Show.self, Alias.self, History.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List registered models with their aliases.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Flag(help: "Print JSON (MLflow's shape) instead of a table.") var json = false

        func run() async throws {
            try await withTarget(store, remote) { target in
                let models: [JSONValue]
                switch target {
                case .local(let services):
                    let search = try EntitySearch(.registeredModels, filter: nil, maxResults: 1000, orderBy: ["name ASC"])
                    models = try await services.registry.searchRegisteredModels(search).items.map(Wire.registeredModel)
                case .remote(let client):
                    let body = try await client.json(mlflow("registered-models/search"), query: [("max_results", "1000"), ("order_by", "name ASC")])
                    models = body["registered_models"]?.arrayValue ?? []
                }
                if json {
                    print(JSONWriter.string(.object([("registered_models", .array(models))])))
                    return
                }
                var table = TextTable("NAME", "LATEST", "ALIASES", "UPDATED")
                for m in models {
                    let latest = (m["latest_versions"]?.arrayValue ?? []).compactMap { $0["version"]?.stringValue.flatMap { Int($0) } }.max()
                    let aliases = (m["aliases"]?.arrayValue ?? []).map { "\($0["alias"]?.stringValue ?? "")=v\($0["version"]?.stringValue ?? "")" }
                    table.add(m.text("name"), latest.map(String.init) ?? "-", aliases.isEmpty ? "-" : aliases.joined(separator: " "),
                              formatTime(m.millis("last_updated_timestamp")))
                }
                print(table.render())
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a registered model and its versions.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "Registered model name.") var name: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            try await withTarget(store, remote) { target in
                let filter = "name = '\(name.replacingOccurrences(of: "'", with: "''"))'"
                let model: JSONValue
                let versions: [JSONValue]
                switch target {
                case .local(let services):
                    model = Wire.registeredModel(try await services.registry.getRegisteredModel(name: name))
                    let search = try EntitySearch(.modelVersions, filter: filter, maxResults: 200_000, orderBy: ["version_number DESC"])
                    versions = try await services.registry.searchModelVersions(search).items.map { Wire.modelVersion($0) }
                case .remote(let client):
                    model = try await client.json(mlflow("registered-models/get"), query: [("name", name)])["registered_model"] ?? .null
                    let body = try await client.json(
                        mlflow("model-versions/search"), query: [("filter", filter), ("max_results", "200000"), ("order_by", "version_number DESC")])
                    versions = body["model_versions"]?.arrayValue ?? []
                }
                if json {
                    print(JSONWriter.string(.object([("registered_model", model), ("model_versions", .array(versions))])))
                    return
                }
                print("Model: \(model.text("name"))")
                if let description = model["description"]?.stringValue, !description.isEmpty { print("Description: \(description)") }
                let tags = (model["tags"]?.arrayValue ?? []).map { "\($0.text("key"))=\($0.text("value"))" }
                if !tags.isEmpty { print("Tags: " + tags.joined(separator: " ")) }
                print("")
                var table = TextTable("VERSION", "STAGE", "ALIASES", "RUN ID", "SOURCE", "CREATED")
                for v in versions {
                    let aliases = (v["aliases"]?.arrayValue ?? []).compactMap(\.stringValue)
                    let runID = v.text("run_id")
                    table.add(v.text("version"), v.text("current_stage"), aliases.isEmpty ? "-" : aliases.joined(separator: ","),
                              runID.isEmpty ? "-" : runID, v.text("source"), formatTime(v.millis("creation_timestamp")))
                }
                print(table.render())
            }
        }
    }

    struct Alias: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "alias", abstract: "Point an alias (e.g. production) at a version; on a model with a promotion policy, moving production is a recorded manual promotion.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "Registered model name.") var name: String
        @Argument(help: "Alias, e.g. production.") var alias: String
        @Argument(help: "Version number.") var version: Int

        func run() async throws {
            try await withTarget(store, remote) { target in
                switch target {
                case .local(let services):
                    try await services.promoter.setAlias(name: name, alias: alias, version: version, actor: cliActor())
                case .remote(let client):
                    // The audit log names the token's user.
                    try await client.send(.POST, mlflow("registered-models/alias"), json: .object([
                        ("name", .string(name)), ("alias", .string(alias)), ("version", .string(String(version))),
                    ]))
                }
                print("\(name)@\(alias) -> version \(version)")
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history", abstract: "The audit log: every decision, approval and rollback, newest first.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "Registered model name.") var name: String
        @Option(help: "How many entries.") var limit = 50
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be between 1 and 1000") }
        }

        func run() async throws {
            try await withTarget(store, remote) { target in
                let records: [JSONValue]
                switch target {
                case .local(let services):
                    _ = try await services.registry.getRegisteredModel(name: name)
                    records = try await services.promotions.listRecords(name: name, maxResults: limit, pageToken: nil).items.map(\.json)
                case .remote(let client):
                    _ = try await client.json(mlflow("registered-models/get"), query: [("name", name)])
                    let body = try await client.json("/api/v1/models/\(segment(name))/decisions", query: [("max_results", String(limit))])
                    records = body["decisions"]?.arrayValue ?? []
                }
                if json {
                    print(JSONWriter.string(.array(records)))
                    return
                }
                var table = TextTable("TIME", "KIND", "ACTOR", "ACTION", "FROM", "TO", "WHY")
                for r in records {
                    table.add(formatTime(r.millis("time")), r.text("kind"), r.text("actor"), r.text("action"),
                              r["from_version"]?.stringValue.map { "v\($0)" } ?? "-", r["to_version"]?.stringValue.map { "v\($0)" } ?? "-", r.text("summary"))
                }
                print(table.render())
            }
        }
    }
}
