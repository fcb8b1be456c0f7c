import ArgumentParser
import SlipwayCore
import SlipwayApp
import SlipwayHTTP

struct Runs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "Work with runs.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the runs of an experiment, filtered and ordered like MLflow's search_runs.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Option(help: "Experiment name (or id).") var experiment: String
        @Option(help: "Filter, e.g. \"metrics.rmse < 1 and params.model = 'xgb'\".") var filter: String?
        @Option(name: .customLong("order-by"), help: "Order, e.g. \"metrics.rmse ASC\" (repeatable).") var orderBy: [String] = []
        @Option(help: "At most this many runs.") var limit = 100
        @Flag(help: "Print JSON (MLflow's shape) instead of a table.") var json = false

        func run() async throws {
            try await withTarget(store, remote) { target in
                let runs: [JSONValue]
                switch target {
                case .local(let services):
                    let found = try await services.tracking.getExperiment(name: experiment)
                    let experimentRecord: Experiment
                    if let found {
                        experimentRecord = found
                    } else {
                        experimentRecord = try await services.tracking.getExperiment(id: experiment)
                    }
                    let search = try RunSearch(experimentIDs: [experimentRecord.id], filter: filter, maxResults: limit, orderBy: orderBy)
                    runs = try await services.tracking.searchRuns(search).items.map { Wire.run($0).readable }
                case .remote(let client):
                    let id: String
                    do {
                        id = try await client.json(mlflow("experiments/get-by-name"), query: [("experiment_name", experiment)])["experiment"]?
                            .text("experiment_id") ?? experiment
                    } catch let error as SlipwayError where error.code == .resourceDoesNotExist {
                        id = try await client.json(mlflow("experiments/get"), query: [("experiment_id", experiment)])["experiment"]?
                            .text("experiment_id") ?? experiment
                    }
                    var body: [(String, JSONValue)] = [("experiment_ids", .array([.string(id)])), ("max_results", .int(limit))]
                    if let filter { body.append(("filter", .string(filter))) }
                    if !orderBy.isEmpty { body.append(("order_by", .array(orderBy.map { .string($0) }))) }
                    runs = try await client.send(.POST, mlflow("runs/search"), json: .object(body))["runs"]?.arrayValue ?? []
                }
                if json {
                    print(JSONWriter.string(.object([("runs", .array(runs))])))
                    return
                }
                var table = TextTable("RUN ID", "NAME", "STATUS", "STARTED", "METRICS", "PARAMS")
                for run in runs {
                    let info = run["info"] ?? .null
                    let metrics = (run["data"]?["metrics"]?.arrayValue ?? []).map { "\($0.text("key"))=\($0["value"]?.numberValue.map(formatNumber) ?? $0.text("value"))" }
                    let params = (run["data"]?["params"]?.arrayValue ?? []).map { "\($0.text("key"))=\($0.text("value"))" }
                    table.add(info.text("run_id"), info.text("run_name"), info.text("status"), formatTime(info.millis("start_time")),
                              metrics.joined(separator: " "), params.joined(separator: " "))
                }
                print(table.render())
            }
        }
    }
}

func formatNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return String(format: "%.6g", value)
}
