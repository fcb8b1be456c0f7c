/// Actuals: the true values that arrive after predictions, one per (model, id), the latest winning;
/// and an index to find a served request by its id (an actual names it).
let migration0011Actuals = Migration(version: 11, name: "actuals", statements: [
    """
    CREATE TABLE actuals (
        model TEXT NOT NULL,
        id TEXT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        received_at BIGINT NOT NULL,
        PRIMARY KEY (model, id))
    """,
    "CREATE INDEX prediction_log_model_request ON prediction_log (model, request_id)",
])
