/// Evaluation datasets (a version per distinct CSV) and evaluations of model versions on them.
let migration0006Evaluation = Migration(version: 6, name: "evaluation", statements: [
    """
    CREATE TABLE evaluation_datasets (
        name TEXT NOT NULL,
        version BIGINT NOT NULL,
        digest TEXT NOT NULL,
        target TEXT NOT NULL,
        columns TEXT NOT NULL,
        row_count BIGINT NOT NULL,
        artifact_path TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (name, version))
    """,
    """
    CREATE TABLE evaluations (
        evaluation_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        version BIGINT NOT NULL,
        dataset TEXT NOT NULL,
        dataset_version BIGINT NOT NULL,
        dataset_digest TEXT NOT NULL,
        task TEXT NOT NULL,
        metrics TEXT NOT NULL,
        row_count BIGINT NOT NULL,
        created_at BIGINT NOT NULL)
    """,
    "CREATE INDEX evaluations_model ON evaluations (name, version, dataset, dataset_version)",
])
