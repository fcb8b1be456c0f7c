import ArgumentParser
import SlipwayApp
import SlipwayCore

/// `slipway monitor set|rules|check|remove`: monitoring rules, checked by `monitor` jobs.
extension Monitor {
    struct SetRule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set a monitoring rule: drift and/or a realized metric of the production version over a window, and what a breach does.",
            discussion: """
                e.g. monitor set churn --reference holdout@1 --drift-share 0.5 --metric rmse --max 1.2 --window 1d --on-breach rollback \\
                --schedule '*/15 * * * *'. A breach emits ml.model.drift_detected.v1 or ml.model.performance_degraded.v1 and performs its
                action once; the rule stays breached until a check sees everything within bounds.
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "Registered model.") var model: String
        @Option(help: "Rule name (default: the model's name).") var rule: String?
        @Option(help: "Drift reference: a dataset, NAME or NAME@VERSION (default: the one the production version was last evaluated on).")
        var reference: String?
        @Option(name: .customLong("drift-share"), help: "Breach when at least this share of columns (features and the prediction) drifted.")
        var driftShare: Double?
        @Option(help: "Realized metric: mae, rmse, r2, mape, accuracy, precision, recall, f1, log_loss or roc_auc.") var metric: String?
        @Option(help: "Breach when the metric is above this (error metrics).") var max: Double?
        @Option(help: "Breach when the metric is below this (scores).") var min: Double?
        @Option(help: "How far back each check looks: 15m, 1h, 1d.") var window = "1d"
        @Option(name: .customLong("min-labeled"), help: "Fewer labeled predictions than this in the window: too few to judge the metric.")
        var minLabeled = 100
        @Option(name: .customLong("min-rows"), help: "Fewer served rows than this in the window: too few to judge drift.") var minRows = 100
        @Option(name: .customLong("on-breach"), help: "notify, rollback or job:NAME.") var onBreach = "notify"
        @Option(help: "Also check it on this 5-field cron schedule, UTC, with the monitor job 'monitor-RULE'.") var schedule: String?

        func run() async throws {
            let time = WallClock.milliseconds()
            let name = rule ?? model
            let parsed: MonitorRule
            let cron: CronSchedule?
            do {
                parsed = MonitorRule(
                    name: name, model: model, reference: reference, driftShare: driftShare, metric: metric, maximum: max, minimum: min,
                    minLabeled: minLabeled, minRows: minRows, window: window, action: try MonitorRule.Action(onBreach), createdAt: time, updatedAt: time)
                try parsed.validate()
                cron = try schedule.map { text throws(SlipwayError) in try CronSchedule(text) }
            } catch {
                throw ValidationError(error.message)
            }
            try await withServices(store) { services in
                try await services.monitorRules.setRule(parsed)
                print("rule \(name) on \(model): \(Self.describe(parsed))")
                guard let cron else { return }
                let job = Job(name: "monitor-\(name)", kind: .monitor, model: model, argument: name, schedule: cron, nextRunAt: cron.next(after: time), createdAt: time)
                let existing = try await services.jobs.listJobs().first { $0.name == job.name }
                if let existing {
                    guard existing.kind == .monitor else {
                        printError("job \(job.name) exists and is a \(existing.kind.rawValue) job: not replaced; the rule is set, schedule it with another job name")
                        throw ExitCode(1)
                    }
                    try await services.jobs.deleteJob(name: job.name)
                }
                try await services.jobs.createJob(job)
                print("job \(job.name): checks it at '\(cron)', next run \(job.nextRunAt.map(formatTime) ?? "never")")
            }
        }

        static func describe(_ rule: MonitorRule) -> String {
            var checks: [String] = []
            if let share = rule.driftShare {
                checks.append("drift share >= \(share) against \(rule.reference ?? "the production version's last evaluation dataset")")
            }
            if let metric = rule.metric {
                let bounds = [rule.maximum.map { "> \($0)" }, rule.minimum.map { "< \($0)" }].compactMap { $0 }.joined(separator: " or ")
                checks.append("\(metric) \(bounds) (at least \(rule.minLabeled) labeled)")
            }
            return "breach when " + checks.joined(separator: ", or ") + " over the last \(rule.window); on breach: \(rule.action)"
        }
    }

    struct Rules: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rules", abstract: "List monitoring rules with their state and last check.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Only this model's rules.") var model: String?
        @Flag(help: "Print them as JSON (as the API answers).") var json = false

        func run() async throws {
            try await withServices(store) { services in
                let rules = try await services.monitorRules.listRules(model: model)
                if json {
                    print(JSONWriter.string(.object([("rules", .array(rules.map(\.json)))])))
                    return
                }
                var table = TextTable("RULE", "MODEL", "STATE", "SINCE (UTC)", "CHECKED (UTC)", "LAST CHECK")
                for status in rules {
                    let last = status.lastCheck.flatMap { try? JSONParser.parse($0) }
                    table.add(status.rule.name, status.rule.model, status.state.rawValue, formatTime(status.stateSince), formatTime(status.checkedAt),
                              last?["outcome"]?.stringValue ?? "-")
                }
                print(table.render())
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "Check a monitoring rule now, as its job does: a new breach is reported and acted on.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Rule name.") var rule: String
        @Flag(help: "Print the check as JSON.") var json = false

        func run() async throws {
            try await withServices(store) { services in
                let check = try await services.jobRunner.checkRule(rule)
                print(json ? JSONWriter.string(check.json) : check.summary)
                if check.actionFailed { throw ExitCode(1) }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a monitoring rule (and its job 'monitor-RULE', if any).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Rule name.") var rule: String

        func run() async throws {
            try await withServices(store) { services in
                try await services.monitorRules.deleteRule(name: rule)
                if let job = try? await services.jobs.getJob(name: "monitor-\(rule)"), job.kind == .monitor {
                    try await services.jobs.deleteJob(name: job.name)
                }
                print("rule \(rule) removed")
            }
        }
    }
}
