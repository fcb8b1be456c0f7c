import ArgumentParser
import Foundation
import SlipwayCore
import SlipwayApp
import SlipwayHTTP

struct Experiments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "experiments", abstract: "Work with experiments.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List active experiments.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Flag(help: "Print JSON (MLflow's shape) instead of a table.") var json = false

        func run() async throws {
            try await withTarget(store, remote) { target in
                let experiments: [JSONValue]
                switch target {
                case .local(let services):
                    let search = try EntitySearch(.experiments, filter: nil, maxResults: 50_000, orderBy: ["experiment_id ASC"])
                    experiments = try await services.tracking.searchExperiments(search, viewType: .activeOnly).items.map(Wire.experiment)
                case .remote(let client):
                    let body = try await client.json(
                        mlflow("experiments/search"), query: [("max_results", "50000"), ("order_by", "experiment_id ASC"), ("view_type", "ACTIVE_ONLY")])
                    experiments = body["experiments"]?.arrayValue ?? []
                }
                if json {
                    print(JSONWriter.string(.object([("experiments", .array(experiments))])))
                    return
                }
                var table = TextTable("ID", "NAME", "ARTIFACT LOCATION", "CREATED")
                for e in experiments {
                    table.add(e.text("experiment_id"), e.text("name"), e.text("artifact_location"), formatTime(e.millis("creation_time")))
                }
                print(table.render())
            }
        }
    }
}

/// A millisecond timestamp as `2026-11-24 01:02:03` (UTC), or `-` for none.
func formatTime(_ millis: Int64?) -> String {
    guard let millis, millis > 0 else { return "-" }
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
}
