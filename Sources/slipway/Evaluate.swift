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
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "Dataset name.") var name: String
        @Argument(help: "CSV file with a header row.") var file: String
        @Option(help: "The column to predict.") var target: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("Cannot read '\(file)'") }
            try await withTarget(store, remote) { target in
                let dataset: JSONValue
                let created: Bool
                switch target {
                case .local(let services):
                    let added = try await services.evaluator.addDataset(name: name, csv: Array(data), target: self.target)
                    (dataset, created) = (added.0.json, added.1)
                case .remote(let client):
                    let body = try await client.upload(
                        .PUT, "/api/v1/datasets/\(segment(name))", query: [("target", self.target)], bytes: Array(data), contentType: "text/csv")
                    (dataset, created) = (body["dataset"] ?? .null, body["created"] == .bool(true))
                }
                print("\(dataset.text("name"))@\(dataset.text("version")) \(created ? "added" : "already stored"): \(dataset.text("rows")) rows, "
                    + "target \(dataset.text("target")), sha256 \(dataset.text("digest").replacingOccurrences(of: "sha256:", with: ""))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List every dataset version.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions

        func run() async throws {
            try await withTarget(store, remote) { target in
                let datasets: [JSONValue]
                switch target {
                case .local(let services): datasets = try await services.evaluations.listDatasets().map(\.json)
                case .remote(let client): datasets = try await client.json("/api/v1/datasets")["datasets"]?.arrayValue ?? []
                }
                var table = TextTable("DATASET", "VERSION", "ROWS", "TARGET", "SHA256", "ADDED")
                for d in datasets {
                    table.add(d.text("name"), d.text("version"), d.text("rows"), d.text("target"),
                              String(d.text("digest").replacingOccurrences(of: "sha256:", with: "").prefix(16)), formatTime(d.millis("created_at")))
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
    @OptionGroup var remote: RemoteOptions
    @Option(help: "Registered model name.") var model: String
    @OptionGroup var python: PythonOptions
    @Option(help: "Version number.") var version: Int
    @Option(help: "NAME or NAME@VERSION (default: the newest version).") var dataset: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try python.apply()
        try await withTarget(store, remote) { target in
            let evaluation: JSONValue
            switch target {
            case .local(let services):
                let (name, datasetVersion) = try EvaluationDataset.parseReference(dataset)
                evaluation = try await services.evaluator.evaluate(model: model, version: version, dataset: name, datasetVersion: datasetVersion).json
            case .remote(let client):
                // The server scores the version: its model files, its Python workers.
                evaluation = try await client.send(
                    .POST, "/api/v1/models/\(segment(model))/versions/\(version)/evaluate", json: .object([("dataset", .string(dataset))]), timeout: 600)
            }
            let metrics = evaluation["metrics"].map { JSONValue.object(membersOf($0)) } ?? .object([])
            let reference = "\(evaluation.text("dataset"))@\(evaluation.text("dataset_version"))"
            if json {
                print(JSONWriter.string(.object([
                    ("model", .string(model)), ("version", .string(String(version))), ("dataset", .string(reference)),
                    ("task", .string(evaluation.text("task"))), ("rows", evaluation["rows"] ?? .null), ("metrics", metrics),
                ])))
                return
            }
            print("\(model) v\(version) on \(reference) (\(evaluation.text("rows")) rows, \(evaluation.text("task"))):")
            var table = TextTable("METRIC", "VALUE")
            for (key, value) in membersOf(metrics) { table.add(key, value.numberValue.map { String(format: "%.6g", $0) } ?? JSONWriter.string(value)) }
            print(table.render())
        }
    }
}
