import ArgumentParser
import SlipwayCore
import SlipwayApp
import SlipwayHTTP

struct Runs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "Work with runs.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the runs of an experiment, filtered and ordered like MLflow's search_runs.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Experiment name (or id).") var experiment: String
        @Option(help: "Filter, e.g. \"metrics.rmse < 1 and params.model = 'xgb'\".") var filter: String?
        @Option(name: .customLong("order-by"), help: "Order, e.g. \"metrics.rmse ASC\" (repeatable).") var orderBy: [String] = []
        @Option(help: "At most this many runs.") var limit = 100
        @Flag(help: "Print JSON (MLflow's shape) instead of a table.") var json = false

        func run() async throws {
            try await withServices(store) { services in
                let found = try await services.tracking.getExperiment(name: experiment)
                let experimentRecord: Experiment
                if let found {
                    experimentRecord = found
                } else {
                    experimentRecord = try await services.tracking.getExperiment(id: experiment)
                }
                let search = try RunSearch(experimentIDs: [experimentRecord.id], filter: filter, maxResults: limit, orderBy: orderBy)
                let runs = try await services.tracking.searchRuns(search).items
                if json {
                    print(JSONWriter.string(.object([("runs", .array(runs.map { Wire.run($0) }))])))
                    return
                }
                var table = TextTable("RUN ID", "NAME", "STATUS", "STARTED", "METRICS", "PARAMS")
                for run in runs {
                    let metrics = run.metrics.map { "\($0.key)=\(formatNumber($0.value))" }.joined(separator: " ")
                    let params = run.params.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                    table.add(run.info.runID, run.info.runName, run.info.status.rawValue, formatTime(run.info.startTime), metrics, params)
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
