/// Tracking (experiments, runs, metrics, params, tags, inputs, outputs, logged models), the
/// registry (models, versions, tags, aliases) and the artifact digest index.
let migration0001Initial = Migration(version: 1, name: "initial", statements: [
    """
    CREATE TABLE experiments (
        experiment_id BIGINT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        artifact_location TEXT NOT NULL,
        lifecycle_stage TEXT NOT NULL,
        creation_time BIGINT NOT NULL,
        last_update_time BIGINT NOT NULL)
    """,
    """
    CREATE TABLE experiment_tags (
        experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id),
        key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (experiment_id, key))
    """,
    """
    INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
    VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active', 0, 0)
    """,
    """
    CREATE TABLE runs (
        run_uuid TEXT PRIMARY KEY,
        experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id),
        name TEXT NOT NULL,
        user_id TEXT NOT NULL,
        status TEXT NOT NULL,
        start_time BIGINT NOT NULL,
        end_time BIGINT,
        artifact_uri TEXT NOT NULL,
        lifecycle_stage TEXT NOT NULL,
        deleted_time BIGINT)
    """,
    "CREATE INDEX runs_experiment_start ON runs (experiment_id, start_time)",
    """
    CREATE TABLE params (
        run_uuid TEXT NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
        key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (run_uuid, key))
    """,
    """
    CREATE TABLE tags (
        run_uuid TEXT NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
        key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (run_uuid, key))
    """,
    // Metric history is stored in chunks: the points one request logged for one key (and model,
    // dataset) packed as 24-byte records (step, timestamp, value; little-endian) in one row.
    // BYTEA is PostgreSQL's binary type; SQLite stores the blob as it is under that name.
    """
    CREATE TABLE metric_chunks (
        run_uuid TEXT NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
        key TEXT NOT NULL,
        model_id TEXT,
        dataset_name TEXT,
        dataset_digest TEXT,
        point_count BIGINT NOT NULL,
        points BYTEA NOT NULL)
    """,
    "CREATE INDEX metric_chunks_run_key ON metric_chunks (run_uuid, key)",
    "CREATE INDEX metric_chunks_model ON metric_chunks (model_id) WHERE model_id IS NOT NULL",
    """
    CREATE TABLE latest_model_metrics (
        model_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        is_nan INTEGER NOT NULL,
        timestamp BIGINT NOT NULL,
        step BIGINT NOT NULL,
        PRIMARY KEY (model_id, key))
    """,
    """
    CREATE TABLE latest_metrics (
        run_uuid TEXT NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        is_nan INTEGER NOT NULL,
        timestamp BIGINT NOT NULL,
        step BIGINT NOT NULL,
        PRIMARY KEY (run_uuid, key))
    """,
    "CREATE INDEX latest_metrics_key_value ON latest_metrics (key, value)",
    """
    CREATE TABLE run_inputs (
        run_uuid TEXT NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
        position BIGINT NOT NULL,
        dataset_name TEXT NOT NULL,
        dataset_digest TEXT NOT NULL,
        source_type TEXT NOT NULL,
        source TEXT NOT NULL,
        dataset_schema TEXT,
        profile TEXT,
        context TEXT,
        tags_json TEXT NOT NULL,
        PRIMARY KEY (run_uuid, dataset_name, dataset_digest))
    """,
    """
    CREATE TABLE run_model_inputs (
        run_uuid TEXT NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
        model_id TEXT NOT NULL,
        PRIMARY KEY (run_uuid, model_id))
    """,
    """
    CREATE TABLE run_outputs (
        run_uuid TEXT NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
        model_id TEXT NOT NULL,
        step BIGINT NOT NULL,
        PRIMARY KEY (run_uuid, model_id))
    """,
    """
    CREATE TABLE logged_models (
        model_id TEXT PRIMARY KEY,
        experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id),
        name TEXT NOT NULL,
        artifact_uri TEXT NOT NULL,
        status TEXT NOT NULL,
        model_type TEXT NOT NULL,
        source_run_id TEXT,
        creation_timestamp BIGINT NOT NULL,
        last_updated_timestamp BIGINT NOT NULL)
    """,
    "CREATE INDEX logged_models_experiment_name ON logged_models (experiment_id, name)",
    """
    CREATE TABLE logged_model_tags (
        model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
        key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (model_id, key))
    """,
    """
    CREATE TABLE logged_model_params (
        model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
        key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (model_id, key))
    """,
    """
    CREATE TABLE registered_models (
        name TEXT PRIMARY KEY,
        creation_timestamp BIGINT NOT NULL,
        last_updated_timestamp BIGINT NOT NULL,
        description TEXT)
    """,
    """
    CREATE TABLE registered_model_tags (
        name TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (name, key))
    """,
    """
    CREATE TABLE model_versions (
        name TEXT NOT NULL,
        version BIGINT NOT NULL,
        creation_timestamp BIGINT NOT NULL,
        last_updated_timestamp BIGINT NOT NULL,
        description TEXT NOT NULL,
        user_id TEXT NOT NULL,
        current_stage TEXT NOT NULL,
        source TEXT NOT NULL,
        run_id TEXT NOT NULL,
        run_link TEXT NOT NULL,
        status TEXT NOT NULL,
        model_id TEXT,
        PRIMARY KEY (name, version))
    """,
    "CREATE INDEX model_versions_run ON model_versions (run_id)",
    """
    CREATE TABLE model_version_tags (
        name TEXT NOT NULL, version BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (name, version, key))
    """,
    """
    CREATE TABLE registered_model_aliases (
        name TEXT NOT NULL, alias TEXT NOT NULL, version BIGINT NOT NULL,
        PRIMARY KEY (name, alias))
    """,
    """
    CREATE TABLE artifacts (
        path TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        size BIGINT NOT NULL,
        created_at BIGINT NOT NULL)
    """,
])
