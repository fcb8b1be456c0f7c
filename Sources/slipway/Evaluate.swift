import ArgumentParser
import Foundation
import SlipwayCore
import SlipwayApp

/// `slipway datasets add|list`: evaluation datasets.
struct Datasets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "datasets", abstract: "Store evaluation datasets (a CSV of features and a target).", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a CSV as the next version of a dataset (the same bytes give back the same version).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Dataset name.") var name: String
        @Argument(help: "CSV file with a header row.") var file: String
        @Option(help: "The column to predict.") var target: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("Cannot read '\(file)'") }
            try await withServices(store) { services in
                let (dataset, created) = try await services.evaluator.addDataset(name: name, csv: Array(data), target: target)
                print("\(dataset.name)@\(dataset.version) \(created ? "added" : "already stored"): \(dataset.rows) rows, target \(dataset.target), sha256 \(dataset.digest)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List every dataset version.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await withServices(store) { services in
                var table = TextTable("DATASET", "VERSION", "ROWS", "TARGET", "SHA256", "ADDED")
                for d in try await services.evaluations.listDatasets() {
                    table.add(d.name, String(d.version), String(d.rows), d.target, String(d.digest.prefix(16)), formatTime(d.createdAt))
                }
                print(table.render())
            }
        }
    }
}

/// `slipway evaluate --model NAME --version V --dataset NAME[@VERSION]`.
struct Evaluate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a model version on a dataset with the standard metrics; stored with the version and logged on its run.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Registered model name.") var model: String
    @OptionGroup var python: PythonOptions
    @Option(help: "Version number.") var version: Int
    @Option(help: "NAME or NAME@VERSION (default: the newest version).") var dataset: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try python.apply()
        try await withServices(store) { services in
            let (name, datasetVersion) = try EvaluationDataset.parseReference(dataset)
            let evaluation = try await services.evaluator.evaluate(model: model, version: version, dataset: name, datasetVersion: datasetVersion)
            if json {
                print(JSONWriter.string(.object([
                    ("model", .string(model)), ("version", .string(String(version))), ("dataset", .string("\(evaluation.dataset)@\(evaluation.datasetVersion)")),
                    ("task", .string(evaluation.task.rawValue)), ("rows", .int(evaluation.rows)),
                    ("metrics", .object(evaluation.metricValues.map { ($0.key, JSONValue.number($0.value)) })),
                ])))
                return
            }
            print("\(model) v\(version) on \(evaluation.dataset)@\(evaluation.datasetVersion) (\(evaluation.rows) rows, \(evaluation.task.rawValue)):")
            var table = TextTable("METRIC", "VALUE")
            for metric in evaluation.metricValues { table.add(metric.key, String(format: "%.6g", metric.value)) }
            print(table.render())
        }
    }
}
