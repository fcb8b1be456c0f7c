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
            try await withServices(store) { services in
                let time = WallClock.milliseconds()
                let job = Job(name: name, kind: kind, model: model, argument: argument, schedule: cron, nextRunAt: cron.next(after: time), createdAt: time)
                try await services.jobs.createJob(job)
                print("\(name): \(kind.rawValue) \(model) at '\(cron)', next run \(job.nextRunAt.map(formatTime) ?? "never")")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List jobs and when they run next.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await withServices(store) { services in
                var table = TextTable("JOB", "KIND", "MODEL", "SCHEDULE", "NEXT RUN (UTC)")
                for job in try await services.jobs.listJobs() {
                    let what = job.kind == .predict
                        ? (try? PredictJobSpec(json: job.argument)).map { " \($0.sourceURL == nil ? $0.input : "query") -> \($0.outputTable)" } ?? ""
                        : job.argument.map { " " + $0 } ?? ""
                    table.add(job.name, job.kind.rawValue + what, job.model, job.schedule.description,
                              job.nextRunAt.map(formatTime) ?? "never")
                }
                print(table.render())
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a job now (recorded in its history).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Job name.") var name: String
        @Option(help: "Predict jobs: run again from here, whatever was read (a watermark value for a SQL source; a time for files: 1d, ISO 8601, ms).")
        var since: String?
        @Option(help: "Predict jobs: up to here (exclusive), in the same form.") var until: String?

        func run() async throws {
            let backfill = since == nil && until == nil ? nil : Backfill(since: since, until: until)
            try await withServices(store) { services in
                let run = try await services.jobRunner.run(try await services.jobs.getJob(name: name), trigger: .manual, backfill: backfill)
                print("\(run.status.rawValue) in \(run.durationMilliseconds ?? 0) ms: \(run.output)")
                if run.status == .failed { throw ExitCode(1) }
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history", abstract: "A job's runs, newest first.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Job name.") var name: String
        @Option(help: "How many runs.") var limit = 20

        func run() async throws {
            try await withServices(store) { services in
                _ = try await services.jobs.getJob(name: name)
                var table = TextTable("STARTED (UTC)", "TRIGGER", "STATUS", "MS", "OUTPUT")
                for run in try await services.jobs.listRuns(job: name, maxResults: limit) {
                    table.add(formatTime(run.startedAt), run.trigger.rawValue, run.status.rawValue, run.durationMilliseconds.map(String.init) ?? "-",
                              String(run.output.prefix(120)))
                }
                print(table.render())
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a job (its history stays).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Job name.") var name: String

        func run() async throws {
            try await withServices(store) { services in
                try await services.jobs.deleteJob(name: name)
                print("job \(name) removed")
            }
        }
    }
}
