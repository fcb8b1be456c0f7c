import ArgumentParser

@main
struct Slipway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slipway",
        abstract: "Slipway: MLflow-compatible tracking and model registry, in one binary.",
        subcommands: [Server.self, Migrate.self, Experiments.self, Runs.self, Models.self, ModelFile.self, Predict.self]
    )
}
