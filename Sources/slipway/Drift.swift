import ArgumentParser
import Foundation
import SlipwayApp
import SlipwayCore
import SlipwayJobs
import SlipwayModels

/// `slipway drift`: data drift of a current table against a reference, column by column, with
/// Evidently's data drift preset's tests and thresholds.
struct Drift: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Data drift, column by column (Evidently's data drift preset): a model's served rows against a dataset, or two CSV files.",
        discussion: """
            slipway drift NAME --reference holdout@1 --window 1d compares the rows NAME served in the last day (and its \
            predictions, as one more column) with a stored dataset, and stores the result; \
            --reference log:14d..7d compares them with what it served a week before instead; \
            slipway drift --reference train.csv --current today.csv compares two files.

            Each column gets the test Evidently's preset picks: for a reference of at most 1000 values KS, \
            chi-squared or a Z-test (p < 0.05 is drift); above, the normed Wasserstein or Jensen-Shannon \
            distance (0.1 or more is drift). The dataset drifts when the share of drifted columns reaches --share.
            """)
    @OptionGroup var store: StoreOptions
    @Argument(help: "A registered model: compare the rows it served with a dataset.") var model: String?
    @Option(help: "The reference: a stored dataset NAME@VERSION or a past window of served rows log:SINCE..UNTIL (with a model), or a CSV file.")
    var reference: String
    @Option(help: "The current CSV file (without a model).") var current: String?
    @Option(help: "With a model: the window of served rows, back from now (1h, 1d, 7d).") var window = "1d"
    @Option(help: "With a model: only the rows this version served (its features and reference predictions are used; default production's).")
    var version: Int?
    @Option(help: "Only these columns, comma-separated (default: every column of the reference).") var columns: String?
    @Option(help: "Columns to compare as categories, comma-separated (default: whole numbers with at most 10 distinct values in the current data).")
    var categorical: String?
    @Option(help: "Columns to compare as numbers whatever their values, comma-separated.") var numerical: String?
    @Option(help: "One test for every column instead of the preset's choice: ks, chisquare, z, wasserstein, jensenshannon or psi.") var method: String?
    @Option(help: "The threshold of that test (default: the test's own).") var threshold: Double?
    @Option(help: "The share of drifted columns at which the dataset drifts.") var share = 0.5
    @Flag(help: "Print the result as JSON.") var json = false

    func run() async throws {
        let chosen = try method.map { text -> DriftMethod in
            guard let method = DriftMethod(rawValue: text) else {
                throw ValidationError("--method must be one of \(DriftMethod.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return method
        }
        if let model {
            guard current == nil else { throw ValidationError("--current compares two files: drop the model name, or drop --current") }
            let until = WallClock.milliseconds() + 1
            let length: Int64
            do { length = try RealizedPerformance.window(window) } catch { throw ValidationError(error.message) }
            try await withServices(store) { services in
                let (report, _) = try await services.api.driftMonitor.run(
                    model: model, reference: reference, version: version, since: until - length, until: until, method: chosen, threshold: threshold, share: share)
                if json {
                    print(JSONWriter.string(report.json))
                } else {
                    print("\(model) v\(report.version): \(report.currentRows) served rows in the last \(window) against \(report.reference) (\(report.referenceRows) rows)")
                    show(report.drift)
                }
            }
            return
        }
        guard let current else { throw ValidationError("Name a model (its served rows), or give --current FILE") }
        do {
            let result = try compute(current: current, method: chosen)
            if json {
                print(JSONWriter.string(result.json))
                return
            }
            show(result)
        } catch let error as SlipwayError {
            printError(error.message)
            throw ExitCode(1)
        }
    }

    func show(_ result: DatasetDrift) {
        var table = TextTable("COLUMN", "KIND", "TEST", "SCORE", "THRESHOLD", "DRIFT")
        for c in result.columns {
            table.add(c.column, c.kind.rawValue, c.method.displayName, c.score.map { String(format: "%.6g", $0) } ?? "no values",
                      String(format: "%g", c.threshold), c.drifted ? "yes" : "no")
        }
        print(table.render())
        print("\(result.driftedCount) of \(result.columns.filter { $0.score != nil }.count) columns drifted (share \(String(format: "%.3g", result.share)));"
              + " dataset drift: \(result.drifted ? "yes" : "no")")
    }

    func compute(current: String, method: DriftMethod?) throws -> DatasetDrift {
        let list = { (text: String?) in Set(text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []) }
        let names = try columns.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? ColumnTable.header(path: reference)
        let currentNames = Set(try ColumnTable.header(path: current))
        let missing = names.filter { !currentNames.contains($0) }
        guard missing.isEmpty else { throw SlipwayError.invalidParameter("The current file '\(current)' lacks the column(s) \(missing.joined(separator: ", "))") }
        let categories = list(categorical), numbers = list(numerical)
        let ref = try ColumnTable.read(path: reference, only: names), cur = try ColumnTable.read(path: current, only: names)
        guard ref.rows > 0 else { throw SlipwayError.invalidParameter("The reference file '\(reference)' has no rows") }
        guard cur.rows > 0 else { throw SlipwayError.invalidParameter("The current file '\(current)' has no rows") }
        let inputs = names.indices.map { i -> DataDrift.Input in
            let name = names[i]
            let kind: DriftColumnKind = categories.contains(name) ? .categorical : numbers.contains(name) ? .numerical : .infer(current: cur.columns[i])
            return DataDrift.Input(name: name, kind: kind, reference: ref.columns[i], current: cur.columns[i])
        }
        return DataDrift.dataset(inputs, method: method, threshold: threshold, shareThreshold: share)
    }
}
