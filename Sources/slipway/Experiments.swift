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
        @Flag(help: "Print JSON (MLflow's shape) instead of a table.") var json = false

        func run() async throws {
            try await withServices(store) { services in
                let search = try EntitySearch(.experiments, filter: nil, maxResults: 50_000, orderBy: ["experiment_id ASC"])
                let experiments = try await services.tracking.searchExperiments(search, viewType: .activeOnly).items
                if json {
                    print(JSONWriter.string(.object([("experiments", .array(experiments.map(Wire.experiment)))])))
                    return
                }
                var table = TextTable("ID", "NAME", "ARTIFACT LOCATION", "CREATED")
                for e in experiments { table.add(e.id, e.name, e.artifactLocation, formatTime(e.creationTime)) }
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
