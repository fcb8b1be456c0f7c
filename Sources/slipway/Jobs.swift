import ArgumentParser
import SlipwayCore
import SlipwayApp

/// `slipway jobs add|list|run|history|remove`: scheduled jobs (the server's scheduler runs them).
struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Scheduled jobs: a model's promotion policy, an evaluation, batch predictions of new files, or a monitoring rule, on a cron schedule, UTC.",
        subcommands: [Add.self, List.self, Run.self, History.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a job, e.g. jobs add nightly --kind promote --model churn --schedule '0 2 * * *'.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "Job name.") var name: String
        @Option(help: "promote, evaluate, predict or monitor.") var kind: String
        @Option(help: "Registered model (predict: NAME@ALIAS, default alias production).") var model: String
        @Option(help: "5-field cron schedule, UTC: minute hour day-of-month month day-of-week.") var schedule: String
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

        func validate() throws {
            let predictOptions: [Any?] = [input, sourceURL, query, watermark, id, outputTable, outputURL]
            if kind != "predict", predictOptions.contains(where: { $0 != nil }) {
                throw ValidationError("--input, --source-url, --query, --watermark, --id, --output-table and --output-url are for predict jobs")
            }
            if (kind == "monitor") != (rule != nil) { throw ValidationError("--rule is for monitor jobs, and a monitor job needs it") }
            if kind == "predict" {
                guard outputTable != nil else { throw ValidationError("A predict job needs --output-table") }
                do { try spec.validate() } catch { throw ValidationError(error.message) }
            }
        }

        var spec: PredictJobSpec {
            PredictJobSpec(
                input: input ?? "", sourceURL: sourceURL, query: query, watermark: watermark, idColumn: id, outputTable: outputTable ?? "", outputURL: outputURL)
        }

        func run() async throws {
            guard let kind = Job.Kind(rawValue: kind) else { throw ValidationError("--kind must be promote, evaluate, predict or monitor") }
            let cron: CronSchedule
            do { cron = try CronSchedule(schedule) } catch { throw ValidationError(error.message) }
            let argument = kind == .predict ? spec.json : kind == .monitor ? rule : dataset
            try await withTarget(store, remote) { target in
                let job: JSONValue
                switch target {
                case .local(let services):
                    let time = WallClock.milliseconds()
                    let created = Job(name: name, kind: kind, model: model, argument: argument, schedule: cron, nextRunAt: cron.next(after: time), createdAt: time)
                    try await services.jobs.createJob(created)
                    job = created.json
                case .remote(let client):
                    var fields: [(String, JSONValue)] = [
                        ("name", .string(name)), ("kind", .string(kind.rawValue)), ("model", .string(model)), ("schedule", .string(schedule)),
                    ]
                    let optional: [(String, String?)] = [
                        ("dataset", dataset), ("rule", rule), ("input", input), ("source_url", sourceURL), ("query", query), ("watermark", watermark),
                        ("id", id), ("output_table", outputTable), ("output_url", outputURL),
                    ]
                    for case let (key, value?) in optional { fields.append((key, .string(value))) }
                    job = try await client.send(.POST, "/api/v1/jobs", json: .object(fields))
                }
                print("\(name): \(kind.rawValue) \(model) at '\(cron)', next run \(job.millis("next_run_at").map(formatTime) ?? "never")")
            }
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
                var table = TextTable("JOB", "KIND", "MODEL", "SCHEDULE", "NEXT RUN (UTC)")
                for job in jobs {
                    let what: String
                    if job.text("kind") == "predict" {
                        what = " \(job["source_url"] == .null ? job.text("input") : "query") -> \(job.text("output_table"))"
                    } else {
                        what = job["dataset"]?.stringValue.map { " " + $0 } ?? ""
                    }
                    table.add(job.text("name"), job.text("kind") + what, job.text("model"), job.text("schedule"),
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
