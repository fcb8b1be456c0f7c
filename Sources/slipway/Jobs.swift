import ArgumentParser
import Foundation
import SlipwayCore
import SlipwayApp

/// `slipway jobs add|list|run|history|remove`: scheduled jobs (the server's scheduler runs them).
struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Jobs: a model's promotion policy, an evaluation, batch predictions, a monitoring rule, or a command, on a schedule, after other jobs, or on events.",
        subcommands: [Add.self, List.self, Run.self, History.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Add a job, e.g. jobs add nightly --kind promote --model churn --schedule '0 2 * * *'.",
            discussion: """
                A job runs on a cron schedule (read in --timezone), after other jobs succeed (--after), on an event (--on), \
                or by hand (jobs run). A command job runs what follows `--`: \
                jobs add train --kind command --schedule '0 2 * * *' --timezone Europe/Paris --timeout 3600 --retries 2 -- python train.py
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "Job name.") var name: String
        @Option(help: "promote, evaluate, predict, monitor, command or validate.") var kind: String
        @Option(help: "Registered model (predict: NAME@ALIAS, default alias production); not for command jobs.") var model: String?
        @Option(help: "5-field cron schedule: minute hour day-of-month month day-of-week.") var schedule: String?
        @Option(help: "The IANA time zone the schedule is read in (default UTC), e.g. Europe/Paris.") var timezone: String?
        @Option(help: "Run after these jobs succeed (comma-separated); skipped when one of them fails.") var after: String?
        @Option(help: "Run on each new event of this type, e.g. ml.model.drift_detected.v1.") var on: String?
        @Option(help: "Run only when the latest run of each of these jobs succeeded, e.g. a validate job (comma-separated).") var requires: String?
        @Option(help: "Validate jobs: the CSV file, or dataset:NAME[@VERSION].") var source: String?
        @Option(help: "Validate jobs: the schema file (YAML or JSON), read now and kept with the job.") var schema: String?
        @Option(help: "Dataset (NAME or NAME@VERSION) for evaluate jobs.") var dataset: String?
        @Option(help: "Monitor jobs: the monitoring rule they check (slipway monitor set).") var rule: String?
        @Option(help: "Predict jobs: the input file or glob ('incoming/*.csv'); each run reads only files it has not read.") var input: String?
        @Option(name: .customLong("source-url"), help: "Predict jobs: read rows of a SQL query instead (postgres://... or sqlite:PATH).")
        var sourceURL: String?
        @Option(help: "Predict jobs over a SQL source: the SELECT.") var query: String?
        @Option(help: "Predict jobs over a SQL source: the increasing column; each run reads rows above the last value read.") var watermark: String?
        @Option(help: "Predict jobs: the column holding each row's key.") var id: String?
        @Option(name: .customLong("output-table"), help: "Predict jobs: the table predictions go into.") var outputTable: String?
        @Option(name: .customLong("output-url"), help: "Predict jobs: the table's database, postgres://... or sqlite:PATH (default: Slipway's own).")
        var outputURL: String?
        @Option(help: "Command jobs: the working directory.") var cwd: String?
        @Option(help: "Command jobs: an environment variable, KEY=VALUE (repeatable).") var env: [String] = []
        @Option(help: "Command jobs: seconds an attempt may run before its process group is killed (default 3600).") var timeout: Double?
        @Option(help: "Command jobs: attempts after a failed one (default 0).") var retries: Int?
        @Option(name: .customLong("retry-backoff"), help: "Command jobs: seconds before the first retry, doubling after (default 10).")
        var retryBackoff: Double?
        @Argument(parsing: .postTerminator, help: "Command jobs: the program and its arguments, after `--`.") var command: [String] = []

        func validate() throws {
            let predictOptions: [Any?] = [input, sourceURL, query, watermark, id, outputTable, outputURL]
            if kind != "predict", predictOptions.contains(where: { $0 != nil }) {
                throw ValidationError("--input, --source-url, --query, --watermark, --id, --output-table and --output-url are for predict jobs")
            }
            let commandOptions: [Any?] = [cwd, timeout, retries, retryBackoff]
            if kind != "command", commandOptions.contains(where: { $0 != nil }) || !env.isEmpty || !command.isEmpty {
                throw ValidationError("--cwd, --env, --timeout, --retries, --retry-backoff and a program after -- are for command jobs")
            }
            if kind == "command", command.isEmpty { throw ValidationError("A command job needs its program after --, e.g. -- python train.py") }
            if (kind == "validate") != (source != nil && schema != nil) || (kind != "validate" && (source != nil || schema != nil)) {
                throw ValidationError("--source and --schema are for validate jobs, and a validate job needs both")
            }
            if (kind == "monitor") != (rule != nil) { throw ValidationError("--rule is for monitor jobs, and a monitor job needs it") }
            if kind == "predict" {
                guard outputTable != nil else { throw ValidationError("A predict job needs --output-table") }
                do { try spec.validate() } catch { throw ValidationError(error.message) }
            }
            _ = try fields()
        }

        var spec: PredictJobSpec {
            PredictJobSpec(
                input: input ?? "", sourceURL: sourceURL, query: query, watermark: watermark, idColumn: id, outputTable: outputTable ?? "", outputURL: outputURL)
        }

        /// The fields of `POST /api/v1/jobs`, sent to a server or read locally alike.
        func fields() throws -> [(String, JSONValue)] {
            var fields: [(String, JSONValue)] = [("name", .string(name)), ("kind", .string(kind))]
            let optional: [(String, String?)] = [
                ("model", model), ("schedule", schedule), ("timezone", timezone), ("after", after), ("on", on), ("requires", requires), ("dataset", dataset), ("rule", rule),
                ("input", input), ("source_url", sourceURL), ("query", query), ("watermark", watermark), ("id", id), ("output_table", outputTable),
                ("output_url", outputURL),
            ]
            for case let (key, value?) in optional { fields.append((key, .string(value))) }
            if kind == "validate", let source, let schema {
                switch Result(catching: { () throws(SlipwayError) in
                    try ValidationFiles.spec(source: source, schemaFile: schema, base: FileManager.default.currentDirectoryPath)
                }) {
                case .success(let validation): fields.append(("validation", validation))
                case .failure(let error): throw ValidationError(error.message)
                }
            }
            if kind == "command" {
                var spec: [(String, JSONValue)] = [("command", .array(command.map { .string($0) }))]
                if let cwd { spec.append(("cwd", .string(cwd))) }
                var variables: [(String, JSONValue)] = []
                for pair in env {
                    guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else { throw ValidationError("--env takes KEY=VALUE, got '\(pair)'") }
                    variables.append((String(pair[..<equals]), .string(String(pair[pair.index(after: equals)...]))))
                }
                if !variables.isEmpty { spec.append(("env", .object(variables))) }
                if let timeout { spec.append(("timeout", .number(timeout))) }
                if let retries { spec.append(("retries", .int(Int64(retries)))) }
                if let retryBackoff { spec.append(("retry_backoff", .number(retryBackoff))) }
                fields.append(("command", .object(spec)))
            }
            return fields
        }

        func run() async throws {
            let body = try fields()
            try await withTarget(store, remote) { target in
                let job: JSONValue
                switch target {
                case .local(let services):
                    let created = try Job(fields: Dictionary(body, uniquingKeysWith: { $1 }), at: WallClock.milliseconds())
                    if created.kind == .command { try services.jobRunner.checkCommand(try CommandSpec(json: created.argument)) }
                    try await services.jobs.createJob(created)
                    job = created.json
                case .remote(let client):
                    job = try await client.send(.POST, "/api/v1/jobs", json: .object(body))
                }
                print("\(name): \(Self.describe(job)), next run \(job.millis("next_run_at").map(formatTime) ?? "never")")
            }
        }

        /// What a job does and when, in a line: `promote churn at '0 2 * * *' (Europe/Paris)`.
        static func describe(_ job: JSONValue) -> String {
            var what = job.text("kind")
            if let model = job["model"]?.stringValue, !model.isEmpty { what += " \(model)" }
            if let command = job["command"]?["command"]?.arrayValue { what += ": " + command.compactMap(\.stringValue).joined(separator: " ") }
            if let validation = job["validation"] { what += ": \(validation.text("source"))" }
            return what + " " + when(job)
        }

        /// When a job runs: `at '0 2 * * *' (Europe/Paris), after ingest`, or `(run by hand)`.
        static func when(_ job: JSONValue) -> String {
            var when: [String] = []
            if let schedule = job["schedule"]?.stringValue {
                when.append("at '\(schedule)'" + (job.text("timezone") == "UTC" ? "" : " (\(job.text("timezone")))"))
            }
            if let after = job["after"]?.arrayValue, !after.isEmpty { when.append("after " + after.compactMap(\.stringValue).joined(separator: ", ")) }
            if let on = job["on"]?.stringValue { when.append("on \(on)") }
            if let requires = job["requires"]?.arrayValue, !requires.isEmpty { when.append("if " + requires.compactMap(\.stringValue).joined(separator: ", ") + " passed") }
            return when.isEmpty ? "(run by hand)" : when.joined(separator: ", ")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List jobs and when they run next.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions

        func run() async throws {
            try await withTarget(store, remote) { target in
                let jobs: [JSONValue]
                switch target {
                case .local(let services): jobs = try await services.jobs.listJobs().map(\.json)
                case .remote(let client): jobs = try await client.json("/api/v1/jobs")["jobs"]?.arrayValue ?? []
                }
                var table = TextTable("JOB", "KIND", "MODEL", "WHEN", "NEXT RUN (UTC)")
                for job in jobs {
                    let what: String
                    if job.text("kind") == "predict" {
                        what = " \(job["source_url"] == .null ? job.text("input") : "query") -> \(job.text("output_table"))"
                    } else {
                        what = job["dataset"]?.stringValue.map { " " + $0 } ?? ""
                    }
                    table.add(job.text("name"), job.text("kind") + what, job.text("model"), Add.when(job),
                              job.millis("next_run_at").map(formatTime) ?? "never")
                }
                print(table.render())
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a job now (recorded in its history).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "Job name.") var name: String
        @Option(help: "Predict jobs: run again from here, whatever was read (a watermark value for a SQL source; a time for files: 1d, ISO 8601, ms).")
        var since: String?
        @Option(help: "Predict jobs: up to here (exclusive), in the same form.") var until: String?

        func run() async throws {
            let backfill = since == nil && until == nil ? nil : Backfill(since: since, until: until)
            try await withTarget(store, remote) { target in
                let run: JSONValue
                switch target {
                case .local(let services):
                    run = try await services.jobRunner.run(try await services.jobs.getJob(name: name), trigger: .manual, backfill: backfill).json
                case .remote(let client):
                    // The server runs it, on its files and its store.
                    let range = [("since", since), ("until", until)].compactMap { key, value in value.map { (key, JSONValue.string($0)) } }
                    run = try await client.send(.POST, "/api/v1/jobs/\(segment(name))/run", json: .object(range), timeout: 3600)
                }
                print("\(run.text("status")) in \(run.millis("duration_ms") ?? 0) ms: \(run.text("output"))")
                if run.text("status") == JobRun.Status.failed.rawValue { throw ExitCode(1) }
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history", abstract: "A job's runs, newest first.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "Job name.") var name: String
        @Option(help: "How many runs.") var limit = 20

        func validate() throws {
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be between 1 and 1000") }
        }

        func run() async throws {
            try await withTarget(store, remote) { target in
                let runs: [JSONValue]
                switch target {
                case .local(let services):
                    _ = try await services.jobs.getJob(name: name)
                    runs = try await services.jobs.listRuns(job: name, maxResults: limit).map(\.json)
                case .remote(let client):
                    runs = try await client.json("/api/v1/jobs/\(segment(name))/runs", query: [("max_results", String(limit))])["runs"]?.arrayValue ?? []
                }
                var table = TextTable("STARTED (UTC)", "TRIGGER", "STATUS", "MS", "OUTPUT")
                for run in runs {
                    table.add(formatTime(run.millis("started_at")), run.text("trigger"), run.text("status"), run.millis("duration_ms").map(String.init) ?? "-",
                              String(run.text("output").prefix(120)))
                }
                print(table.render())
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a job (its history stays).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "Job name.") var name: String

        func run() async throws {
            try await withTarget(store, remote) { target in
                switch target {
                case .local(let services): try await services.jobs.deleteJob(name: name)
                case .remote(let client): try await client.send(.DELETE, "/api/v1/jobs/\(segment(name))", json: nil)
                }
                print("job \(name) removed")
            }
        }
    }
}
