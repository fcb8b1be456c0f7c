import ArgumentParser
import Foundation
import SlipwayCore
import SlipwayApp
import SlipwayClient
import SlipwayJobs

/// `slipway pipelines apply|show|list|remove`: jobs declared together in a YAML file.
struct Pipelines: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipelines",
        abstract: "Pipelines: jobs and the links between them, declared in a YAML file and applied as one (docs/pipelines.md).",
        subcommands: [Apply.self, Show.self, List.self, Remove.self])

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply", abstract: "Create, change and remove the pipeline's jobs to match the file; what is unchanged stays as it is.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "The pipeline file (YAML).") var file: String
        @Flag(name: .customLong("dry-run"), help: "Say what would change, change nothing.") var dryRun = false

        func run() async throws {
            let document: JSONValue
            let pipeline: Pipeline
            do {
                document = try Self.resolvingPaths(try YAMLFile.read(file), base: URL(fileURLWithPath: file).deletingLastPathComponent().path)
                pipeline = try Pipeline(json: document, at: WallClock.milliseconds())
            } catch {
                printError(error.message)
                throw ExitCode(2)
            }
            try await withTarget(store, remote) { target in
                let change: JSONValue
                switch target {
                case .local(let services):
                    try PipelineGraph.checkCommands(pipeline, services.jobRunner)
                    if dryRun {
                        change = try await PipelineGraph.plan(pipeline, services.jobs).json
                    } else {
                        change = try await services.jobs.applyPipeline(pipeline, at: WallClock.milliseconds()).json
                    }
                case .remote(let client):
                    change = try await client.send(
                        .PUT, "/api/v1/pipelines/\(ServerClient.segment(pipeline.name))" + (dryRun ? "?dry_run=true" : ""), json: document)
                }
                print(Self.describe(change, dryRun: dryRun))
            }
        }

        /// Paths relative to the file: a command job without a working directory runs in the file's
        /// folder; a validate job's schema file is read and kept whole, its source made absolute; a
        /// predict job's input files are found from the file's folder.
        static func resolvingPaths(_ document: JSONValue, base: String) throws(SlipwayError) -> JSONValue {
            guard case .object(var members) = document, let index = members.firstIndex(where: { $0.0 == "jobs" }),
                  case .object(var jobs) = members[index].1 else { return document }
            for (position, (name, entry)) in jobs.enumerated() {
                guard case .object(var fields) = entry else { continue }
                if fields.contains(where: { $0.0 == "command" }) {
                    if let at = fields.firstIndex(where: { $0.0 == "cwd" }), let cwd = fields[at].1.stringValue {
                        fields[at].1 = .string(ValidationFiles.absolute(cwd, base))
                    } else {
                        fields.append(("cwd", .string(ValidationFiles.absolute(".", base))))
                    }
                }
                if fields.contains(where: { $0.0 == "kind" && $0.1.stringValue == "predict" }), let at = fields.firstIndex(where: { $0.0 == "input" }),
                   let input = fields[at].1.stringValue, !input.isEmpty {
                    fields[at].1 = .string(ValidationFiles.absolute(input, base))
                }
                if let at = fields.firstIndex(where: { $0.0 == "validate" }), let source = fields[at].1["source"]?.stringValue,
                   let schema = fields[at].1["schema"]?.stringValue {
                    do {
                        fields[at].1 = try ValidationFiles.spec(source: source, schemaFile: schema, base: base)
                    } catch {
                        throw .invalidParameter("Job '\(name)': \(error.message)")
                    }
                }
                jobs[position] = (name, .object(fields))
            }
            members[index].1 = .object(jobs)
            return .object(members)
        }

        static func describe(_ change: JSONValue, dryRun: Bool) -> String {
            func names(_ key: String) -> [String] { change[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
            var lines = ["pipeline \(change.text("pipeline"))" + (dryRun ? " (dry run: nothing changed)" : "")]
            for (key, verb) in [("created", "created"), ("changed", "changed"), ("removed", "removed"), ("unchanged", "unchanged")] {
                let list = names(key)
                if !list.isEmpty { lines.append("  \(verb): \(list.joined(separator: ", "))") }
            }
            if names("created").isEmpty && names("changed").isEmpty && names("removed").isEmpty { lines.append("  nothing to change") }
            return lines.joined(separator: "\n")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "The pipeline's steps in order, each with its last run.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "Pipeline name.") var name: String

        func run() async throws {
            try await withTarget(store, remote) { target in
                let graph: JSONValue
                switch target {
                case .local(let services): graph = try await PipelineGraph.json(name, services.jobs)
                case .remote(let client): graph = try await client.json("/api/v1/pipelines/\(ServerClient.segment(name))")
                }
                var table = TextTable("STEP", "WHAT", "WHEN", "LAST RUN", "STATUS", "OUTPUT")
                for step in graph["steps"]?.arrayValue ?? [] {
                    let last = step["last_run"]
                    let output = last?["output"]?.stringValue?.split(separator: "\n").last.map { String($0.prefix(60)) } ?? ""
                    var what = step.text("kind")
                    if let model = step["model"]?.stringValue, !model.isEmpty { what += " \(model)" }
                    if let command = step["command"]?["command"]?.arrayValue { what += ": " + command.compactMap(\.stringValue).joined(separator: " ") }
                    table.add(step.text("name"), String(what.prefix(50)), Jobs.Add.when(step), last?.millis("started_at").map(formatTime) ?? "never",
                              last?["status"]?.stringValue ?? "", output)
                }
                print("pipeline \(graph.text("name"))")
                print(table.render())
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The pipelines and their jobs.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions

        func run() async throws {
            try await withTarget(store, remote) { target in
                let pipelines: [JSONValue]
                switch target {
                case .local(let services): pipelines = try await PipelineGraph.list(services.jobs)["pipelines"]?.arrayValue ?? []
                case .remote(let client): pipelines = try await client.json("/api/v1/pipelines")["pipelines"]?.arrayValue ?? []
                }
                var table = TextTable("PIPELINE", "JOBS")
                for pipeline in pipelines {
                    table.add(pipeline.text("name"), (pipeline["jobs"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", "))
                }
                print(table.render())
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove the pipeline's jobs.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "Pipeline name.") var name: String

        func run() async throws {
            try await withTarget(store, remote) { target in
                let change: JSONValue
                switch target {
                case .local(let services):
                    guard try await services.jobs.listJobs().contains(where: { $0.pipeline == name }) else {
                        throw SlipwayError.notFound("No pipeline named '\(name)'")
                    }
                    change = try await services.jobs.applyPipeline(Pipeline(name: name, jobs: []), at: WallClock.milliseconds()).json
                case .remote(let client):
                    change = try await client.send(.DELETE, "/api/v1/pipelines/\(ServerClient.segment(name))", json: nil)
                }
                print(Apply.describe(change, dryRun: false))
            }
        }
    }
}
