import ArgumentParser
import Foundation
import SlipwayApp
import SlipwayCore

/// `slipway predictions list|export`: the prediction record read back, newest first: served
/// requests from the prediction log and rows of the prediction tables in Slipway's database.
struct Predictions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predictions",
        abstract: "Read back a model's predictions: served requests and batch prediction rows.", subcommands: [List.self, Export.self])

    /// The filters both subcommands take.
    struct Filters: ParsableArguments {
        @Argument(help: "Registered model.") var model: String
        @Option(help: "From: milliseconds since the epoch, a span back from now (15m, 1h, 7d) or an ISO 8601 time.") var since: String?
        @Option(help: "Until (exclusive), in the same forms.") var until: String?
        @Option(help: "Only this version.") var version: Int?
        @Option(help: "served or batch (default: both).") var kind: String?

        func query(limit: Int) throws -> PredictionQuery {
            let now = WallClock.milliseconds()
            do {
                var query = PredictionQuery(model: model, version: version, limit: limit)
                query.since = try since.map { text throws(SlipwayError) in try TimeBound.parse(text, now: now, what: "--since") }
                query.until = try until.map { text throws(SlipwayError) in try TimeBound.parse(text, now: now, what: "--until") }
                if let kind {
                    guard let parsed = PredictionRecord.Kind(rawValue: kind) else { throw ValidationError("--kind must be served or batch") }
                    query.kind = parsed
                }
                return query
            } catch let error as SlipwayError {
                throw ValidationError(error.message)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List a model's predictions, newest first.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var filters: Filters
        @Option(help: "How many.") var limit = 50
        @Flag(help: "Print JSON lines, one prediction per line.") var json = false

        func run() async throws {
            let query = try filters.query(limit: limit)
            try await withServices(store) { services in
                let (records, _) = try await services.predictionLog.list(query)
                if json {
                    for record in records { print(JSONWriter.string(PredictionColumns.json(record))) }
                    return
                }
                var table = TextTable("TIME (UTC)", "KIND", "ID", "VERSION", "STATUS", "OUTPUTS")
                for r in records {
                    table.add(formatTime(r.at), r.kind.rawValue, r.id, r.version.map(String.init) ?? "-", r.status.map(String.init) ?? "-",
                              String((r.outputs ?? r.error ?? "").prefix(60)))
                }
                print(table.render())
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export", abstract: "Write a model's predictions to a CSV file for analysis elsewhere.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var filters: Filters
        @Option(help: "The CSV file to write.") var output: String

        func run() async throws {
            var query = try filters.query(limit: 10_000)
            try await withServices(store) { services in
                var text = PredictionColumns.names.joined(separator: ",") + "\n"
                var rows = 0
                repeat {
                    let (records, next) = try await services.predictionLog.list(query)
                    for record in records { text += PredictionColumns.csv(record) + "\n" }
                    rows += records.count
                    query.pageToken = next
                } while query.pageToken != nil
                guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                    throw SlipwayError.invalidParameter("Cannot write '\(output)'")
                }
                print("\(rows) predictions of \(filters.model) written to \(output)")
            }
        }
    }
}

/// A prediction as the CLI writes it: one CSV row or one JSON object.
enum PredictionColumns {
    static let names = ["kind", "id", "model", "version", "at", "inputs", "outputs", "status", "latency_ms", "error", "table"]

    static func cells(_ r: PredictionRecord) -> [String] {
        [r.kind.rawValue, r.id, r.model, r.version.map(String.init) ?? "", String(r.at), r.inputs ?? "", r.outputs ?? "",
         r.status.map(String.init) ?? "", r.latencyMicroseconds.map { String(Double($0) / 1000) } ?? "", r.error ?? "", r.table ?? ""]
    }

    static func csv(_ r: PredictionRecord) -> String {
        cells(r).map { cell in
            cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
        }.joined(separator: ",")
    }

    static func json(_ r: PredictionRecord) -> JSONValue {
        .object(zip(names, cells(r)).map { name, cell in
            switch name {
            case "inputs", "outputs": return (name, cell.isEmpty ? .null : (try? JSONParser.parse(cell)) ?? .string(cell))
            case "version", "at", "status", "latency_ms": return (name, Double(cell).map { .number($0) } ?? .null)
            default: return (name, cell.isEmpty && name != "id" ? .null : .string(cell))
            }
        })
    }
}
