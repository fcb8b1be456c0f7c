/// The log of served predictions (one row per answered request, errors included), and the
/// catalog of prediction tables written into this database, so both can be read back by model.
/// Inputs and outputs are little-endian float64s, row-major (`feature_count`, `outputs_per_row`
/// per row): written without formatting a number, read back in bulk by monitoring.
let migration0010PredictionLog = Migration(version: 10, name: "prediction_log", statements: [
    """
    CREATE TABLE prediction_log (
        request_id TEXT NOT NULL,
        model TEXT NOT NULL,
        version BIGINT,
        served_at BIGINT NOT NULL,
        rows_count BIGINT NOT NULL,
        feature_count BIGINT NOT NULL,
        inputs BYTEA,
        outputs_per_row BIGINT NOT NULL,
        outputs BYTEA,
        latency_us BIGINT NOT NULL,
        status BIGINT NOT NULL,
        error TEXT,
        source TEXT NOT NULL)
    """,
    "CREATE INDEX prediction_log_model_time ON prediction_log (model, served_at, request_id)",
    """
    CREATE TABLE prediction_tables (
        table_name TEXT PRIMARY KEY,
        outputs TEXT NOT NULL,
        created_at BIGINT NOT NULL)
    """,
])
