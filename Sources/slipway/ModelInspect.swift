import ArgumentParser
import SlipwayCore
import SlipwayModels

/// `slipway model inspect PATH`: what a model file is, without predicting.
struct ModelFile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Look at a model file (XGBoost, LightGBM, linear, scikit-learn skops, or an MLflow model directory) and what serves it.",
        subcommands: [Inspect.self])

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Print a model's format, objective, features and trees.")

        @Argument(help: "Model file or MLflow model directory.") var path: String
        @Flag(help: "Print JSON instead of text.") var json = false
        @OptionGroup var python: PythonOptions

        func run() async throws {
            try python.apply()
            do {
                let summary = try ModelLoader.load(path: path).summary
                print(json ? JSONWriter.string(Self.json(summary)) : Self.text(summary))
            } catch {
                printError(error.message)
                throw ExitCode(1)
            }
        }

        static func text(_ s: ModelSummary) -> String {
            var pairs = [
                ("format", s.format), ("objective", s.objective),
                ("output", s.outputKind.rawValue + (s.outputsPerRow > 1 ? " (\(s.outputsPerRow) per row)" : "")),
                ("features", "\(s.featureCount)" + (s.featureNames.isEmpty ? "" : " (\(s.featureNames.joined(separator: ", ")))")),
            ]
            if s.format != "linear" { pairs.append(("trees", "\(s.trees)")) }
            pairs += s.details
            let width = (pairs.map(\.0.count).max() ?? 0) + 2
            return pairs.map { ($0.0 + ":").padding(toLength: width, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
        }

        static func json(_ s: ModelSummary) -> JSONValue {
            .object([
                ("format", .string(s.format)), ("objective", .string(s.objective)), ("output_kind", .string(s.outputKind.rawValue)),
                ("outputs_per_row", .number(Double(s.outputsPerRow))), ("feature_count", .number(Double(s.featureCount))),
                ("feature_names", .array(s.featureNames.map { .string($0) })), ("trees", .number(Double(s.trees))),
                ("details", .object(s.details.map { ($0.0, .string($0.1)) })),
            ])
        }
    }
}
