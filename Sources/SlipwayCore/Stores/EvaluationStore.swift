/// Evaluation datasets and the evaluations of model versions on them.
public protocol EvaluationStore: Sendable {
    /// Records a dataset version whose CSV is already stored at `artifactPath` (content-addressed:
    /// `datasets/NAME/SHA256/...`); the same digest and target as the newest version return that version.
    func addDataset(name: String, digest: String, target: String, columns: [String], rows: Int, artifactPath: String) async throws -> (EvaluationDataset, created: Bool)
    /// The given version, or the newest. - Throws: RESOURCE_DOES_NOT_EXIST.
    func getDataset(name: String, version: Int?) async throws -> EvaluationDataset
    /// Every version of every dataset, newest first within a name.
    func listDatasets() async throws -> [EvaluationDataset]
    /// Stores an evaluation with its `evaluation.completed` event, in one transaction.
    func recordEvaluation(_ evaluation: Evaluation, event: Event) async throws
    /// Evaluations of a model (one version, or all), newest first.
    func listEvaluations(model: String, version: Int?) async throws -> [Evaluation]
}
