import ArgumentParser
import Foundation
import SlipwayApp
import SlipwayCore
import SlipwayJobs
import SlipwayModels

/// `slipway actuals add`: true values that arrived after the predictions, from a CSV file.
struct Actuals: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "actuals", abstract: "Record actuals (ground truth that arrives later) for a model's predictions.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
        commandName: "add",
            abstract: "Add actuals from a CSV file: one row per prediction id (a request id, or a batch prediction's id) and its true value.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Registered model.") var model: String
        @Argument(help: "CSV file with a header row.") var file: String
        @Option(help: "The column holding the prediction ids.") var id: String
        @Option(help: "The column holding the true values.") var target: String

        func run() async throws {
            let actuals: [Actual]
            do {
                actuals = try Self.read(file, id: id, target: target)
            } catch {
                printError(error.message)
                throw ExitCode(1)
            }
            try await withServices(store) { services in
                let receipt = try await services.actuals.add(model: model, actuals: actuals, receivedAt: WallClock.milliseconds())
                var line = "\(model): \(receipt.received) actuals, \(receipt.matched) matched a prediction"
                if receipt.unknown > 0 { line += ", \(receipt.unknown) unknown ids (e.g. \(receipt.unknownExamples.joined(separator: ", ")))" }
                print(line)
            }
        }

        static func read(_ file: String, id: String, target: String) throws(SlipwayError) -> [Actual] {
            var actuals: [Actual] = []
            let request = FeatureRequest(featureNames: [], featureCount: 0, target: target, id: id)
            _ = try TableReader(format: .csv, source: file, threads: 1).read(path: file, request: request, transform: { $0 }) { chunk throws(SlipwayError) in
                for (key, value) in zip(chunk.ids, chunk.target) {
                    guard value.isFinite else { throw .invalidParameter("The actual for id '\(key)' in '\(file)' is missing") }
                    actuals.append(Actual(id: key, value: value))
                }
            }
            return actuals
        }
    }
}

/// `slipway monitor performance`: realized performance per window and version; rules in `MonitorRules.swift`.
struct Monitor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Watch a model in production.", subcommands: [Performance.self, SetRule.self, Rules.self, Check.self, Remove.self])

    struct Performance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
        commandName: "performance",
            abstract: "Realized performance: predictions joined to their actuals, per window and version, beside each version's held-out evaluation.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Registered model.") var model: String
        @Option(help: "mae, rmse, r2, mape, accuracy, precision, recall, f1, log_loss or roc_auc.") var metric: String
        @Option(help: "Window length: 15m, 1h, 1d.") var window = "1h"
        @Option(help: "From: milliseconds since the epoch, a span back from now (1h, 7d) or an ISO 8601 time.") var since = "1d"
        @Option(help: "Until (exclusive), in the same forms (default: now).") var until: String?
        @Option(help: "Only this version.") var version: Int?
        @Flag(help: "Print the report as JSON (as the API answers it).") var json = false

        func run() async throws {
            let now = WallClock.milliseconds()
            let from: Int64, to: Int64
            do {
                from = try TimeBound.parse(since, now: now, what: "--since")
                to = try until.map { text throws(SlipwayError) in try TimeBound.parse(text, now: now, what: "--until") } ?? now + 1
            } catch {
                throw ValidationError(error.message)
            }
            try await withServices(store) { services in
                let report = try await PerformanceMonitor(actuals: services.actuals, evaluations: services.evaluations)
                    .report(model: model, metric: metric, window: window, since: from, until: to, version: version)
                if json {
                    print(JSONWriter.string(report.json))
                    return
                }
                guard !report.points.isEmpty else {
                    print("\(model): no predictions between \(formatTime(from)) and \(formatTime(to))")
                    return
                }
                var table = TextTable("WINDOW (UTC)", "VERSION", "PREDICTIONS", "LABELED", metric.uppercased(), "HELD-OUT")
                for point in report.points {
                    let p = point.performance
                    table.add(formatTime(p.start), String(p.version), String(p.predictions), String(p.labeled),
                              p.value.map { String(format: "%.6g", $0) } ?? "-",
                              point.evaluation.map { String(format: "%.6g", $0.value) + " (\($0.dataset) v\($0.datasetVersion))" } ?? "-")
                }
                print(table.render())
            }
        }
    }
}
