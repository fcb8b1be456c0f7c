import ArgumentParser

@main
struct Slipway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slipway",
        abstract: "Slipway: MLflow-compatible tracking, model registry and serving, in one binary.",
        subcommands: [Server.self, Serve.self, Migrate.self, Experiments.self, Runs.self, Models.self, Datasets.self, Evaluate.self, Policy.self, Jobs.self, Pipelines.self, Validate.self, Promote.self, Approve.self, Rollback.self, ModelFile.self, Predict.self, Predictions.self, Actuals.self, Monitor.self, Drift.self, Users.self, Tokens.self]
    )
}
