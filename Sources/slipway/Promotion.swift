import ArgumentParser
import Foundation
import SlipwayCore
import SlipwayApp

/// `slipway policy set|show|list|delete`: a registered model's promotion policy.
struct Policy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Set or show a registered model's promotion policy.", subcommands: [Set.self, Show.self, List.self, Delete.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
        commandName: "set",
            abstract: "Create or replace a model's promotion policy.",
            discussion: "Either --file POLICY.json (the API's JSON shape, see docs/promotion.md) or --metric and the options below.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "Registered model name.") var name: String
        @Option(help: "A policy JSON file.") var file: String?
        @Option(help: "The metric the candidate's run logged, e.g. test_mae.") var metric: String?
        @Option(help: "Compare on a stored dataset (NAME or NAME@VERSION) with a standard metric (rmse, mae, roc_auc, ...) instead of a run metric.")
        var dataset: String?
        @Option(help: "lower or higher is better (default: from the metric's name).") var direction: String?
        @Option(name: .customLong("min-improvement"), help: "How much better than production: '5%' relative (the default), or a plain number for an absolute margin.")
        var minImprovement = "5%"
        @Option(name: .customLong("lookback-days"), help: "Only versions registered within this many days are candidates.") var lookbackDays: Double = 7
        @Option(name: .customLong("require-tag"), help: "KEY=VALUE a candidate (its version or run) must carry; repeatable.") var requiredTags: [String] = []
        @Flag(name: .customLong("allow-unfinished-runs"), help: "Also consider versions whose run is not FINISHED.") var allowUnfinished = false
        @Option(help: "auto (apply at once) or approval (stage the winner until `slipway approve`).") var mode = "auto"

        func run() async throws {
            let policy: PromotionPolicy
            do {
                policy = try makePolicy()
            } catch {
                throw ValidationError(error.message)
            }
            try await withTarget(store, remote) { target in
                switch target {
                case .local(let services): try await services.promotions.setPolicy(policy)
                case .remote(let client): try await client.send(.PUT, "/api/v1/models/\(segment(name))/policy", json: policy.json)
                }
                print(describe(policy))
            }
        }

        func makePolicy() throws(SlipwayError) -> PromotionPolicy {
            if let file {
                guard let data = FileManager.default.contents(atPath: file) else { throw .invalidParameter("Cannot read policy file '\(file)'") }
                return try PromotionPolicy(json: try JSONParser.parse(Array(data)), model: name)
            }
            guard let metric else { throw .invalidParameter("Give --metric (or --file)") }
            var fields: [(String, JSONValue)] = [("metric", .string(metric)), ("lookback_days", .number(lookbackDays)), ("mode", .string(mode))]
            if let direction { fields.append(("direction", .string(direction))) }
            if let dataset { fields += [("source", .string("evaluation")), ("dataset", .string(dataset))] }
            let text = minImprovement.trimmingCharacters(in: .whitespaces)
            if text.hasSuffix("%") {
                guard let percent = Double(text.dropLast()) else { throw .invalidParameter("--min-improvement '\(text)' is not a percentage") }
                fields += [("min_improvement", .number(percent / 100)), ("improvement", .string("relative"))]
            } else {
                guard let amount = Double(text) else { throw .invalidParameter("--min-improvement '\(text)' is neither '5%' nor a number") }
                fields += [("min_improvement", .number(amount)), ("improvement", .string("absolute"))]
            }
            var tags: [(String, JSONValue)] = []
            for pair in requiredTags {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty else { throw .invalidParameter("--require-tag wants KEY=VALUE, got '\(pair)'") }
                tags.append((parts[0], .string(parts[1])))
            }
            fields += [("required_tags", .object(tags)), ("require_finished_run", .bool(!allowUnfinished))]
            return try PromotionPolicy(json: .object(fields), model: name)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a model's promotion policy.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "Registered model name.") var name: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await withTarget(store, remote) { target in
                guard let policy = try await fetchPolicy(target, name) else { throw SlipwayError.notFound("No promotion policy for model '\(name)'") }
                print(json ? JSONWriter.string(policy.json) : describe(policy))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List every promotion policy.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions

        func run() async throws {
            try await withTarget(store, remote) { target in
                let policies: [PromotionPolicy]
                switch target {
                case .local(let services): policies = try await services.promotions.listPolicies()
                case .remote(let client):
                    policies = try (try await client.json("/api/v1/policies")["policies"]?.arrayValue ?? []).map {
                        try PromotionPolicy(json: $0, model: $0.text("model"))
                    }
                }
                for policy in policies { print(describe(policy)) }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Remove a model's promotion policy.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "Registered model name.") var name: String

        func run() async throws {
            try await withTarget(store, remote) { target in
                switch target {
                case .local(let services): try await services.promotions.deletePolicy(name: name)
                case .remote(let client): try await client.send(.DELETE, "/api/v1/models/\(segment(name))/policy", json: nil)
                }
                print("policy of \(name) deleted")
            }
        }
    }
}

/// One line a person reads: `churn: test_mae, lower is better, at least 5% better, last 7 days, finished runs, auto`.
func describe(_ p: PromotionPolicy) -> String {
    var source = ""
    if case .evaluation(let dataset, let version) = p.source { source = " on \(dataset)" + (version.map { "@\($0)" } ?? " (newest)") }
    var parts = ["\(p.metric)\(source), \(p.direction.rawValue) is better", "at least \(p.minimumImprovement) better",
                 "last \(JSONWriter.string(.number(Double(p.lookbackMilliseconds) / Double(PromotionPolicy.day)))) days"]
    if p.requireFinishedRun { parts.append("finished runs") }
    if !p.requiredTags.isEmpty { parts.append("tags " + p.requiredTags.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) }
    parts.append(p.mode.rawValue)
    return "\(p.modelName): " + parts.joined(separator: ", ")
}

/// The name of whoever runs the command, for the audit log.
func cliActor() -> String {
    let environment = ProcessInfo.processInfo.environment
    return "cli:" + (environment["USER"] ?? environment["LOGNAME"] ?? ProcessInfo.processInfo.userName)
}

/// `slipway promote NAME [--dry-run]`: run the model's policy and print the decision table.
struct Promote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "promote", abstract: "Run a model's promotion policy: promote, stage or keep, with the reasons.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var remote: RemoteOptions
    @Argument(help: "Registered model name.") var name: String
    @Flag(name: .customLong("dry-run"), help: "Decide and print, change nothing.") var dryRun = false
    @Flag(help: "Print the decision as JSON.") var json = false

    func run() async throws {
        try await withTarget(store, remote) { target in
            let decision: JSONValue
            switch target {
            case .local(let services):
                decision = (dryRun ? try await services.promoter.decide(name) : try await services.promoter.promote(name, actor: cliActor()).0).json
            case .remote(let client):
                let body = try await client.send(.POST, "/api/v1/models/\(segment(name))/promote", json: .object([("dry_run", .bool(dryRun))]))
                decision = body["decision"] ?? .null
            }
            if json {
                print(JSONWriter.string(.object([("decision", decision), ("applied", .bool(!dryRun))])))
                return
            }
            if let policy = try await fetchPolicy(target, name) { print("Policy  " + describe(policy)) }
            var table = TextTable("VERSION", decision.text("metric").uppercased(), "CANDIDATE", "NOTE")
            for row in decision["considered"]?.arrayValue ?? [] {
                let value = row["value"]?.numberValue.map { String(format: "%.6g", $0) } ?? (row["value"]?.stringValue ?? "-")
                table.add("v" + row.text("version"), value, row["eligible"] == .bool(true) ? "yes" : "no", row.text("note"))
            }
            print(table.render())
            print("Decision  \(decision.text("action"))" + (decision["challenger"]?.stringValue.map { " v\($0)" } ?? ""))
            for reason in decision["reasons"]?.arrayValue ?? [] { print("  - " + (reason.stringValue ?? "")) }
            print(dryRun ? "Dry run: nothing changed." : "Recorded in the audit log (slipway models history \(name)).")
        }
    }
}

/// A model's policy from the store or the server; nil when it has none.
func fetchPolicy(_ target: CommandTarget, _ name: String) async throws -> PromotionPolicy? {
    switch target {
    case .local(let services):
        return try await services.promotions.getPolicy(name: name)
    case .remote(let client):
        do {
            return try PromotionPolicy(json: try await client.json("/api/v1/models/\(segment(name))/policy"), model: name)
        } catch let error as SlipwayError where error.code == .resourceDoesNotExist {
            return nil
        }
    }
}

/// `slipway approve NAME VERSION`: promote a version an approval-mode policy staged.
struct Approve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "approve", abstract: "Approve a staged version: it becomes production.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var remote: RemoteOptions
    @Argument(help: "Registered model name.") var name: String
    @Argument(help: "The staged version.") var version: Int

    func run() async throws {
        try await withTarget(store, remote) { target in
            switch target {
            case .local(let services):
                print(try await services.promoter.approve(name, version: version, actor: cliActor()).summary)
            case .remote(let client):
                let body = try await client.send(.POST, "/api/v1/models/\(segment(name))/approve", json: .object([("version", .string(String(version)))]))
                print(body["record"]?.text("summary") ?? "")
            }
        }
    }
}

/// `slipway rollback NAME [--to VERSION]`: put `previous` (or a chosen version) back into production.
struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Put the previous production version back, or the version --to names.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var remote: RemoteOptions
    @Argument(help: "Registered model name.") var name: String
    @Option(help: "The version to put back (default: the one behind `previous`).") var to: Int?

    func validate() throws {
        if let to, to < 1 { throw ValidationError("--to must be a version number (1 or more)") }
    }

    func run() async throws {
        try await withTarget(store, remote) { target in
            switch target {
            case .local(let services):
                print(try await services.promoter.rollback(name, to: to, actor: cliActor()).summary)
            case .remote(let client):
                let body = try await client.send(
                    .POST, "/api/v1/models/\(segment(name))/rollback", json: .object(to.map { [("version", .string(String($0)))] } ?? []))
                print(body["record"]?.text("summary") ?? "")
            }
        }
    }
}
