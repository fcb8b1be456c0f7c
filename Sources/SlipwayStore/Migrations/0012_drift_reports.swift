/// Drift results, with the reference and the window they compared.
let migration0012DriftReports = Migration(version: 12, name: "drift_reports", statements: [
    """
    CREATE TABLE drift_reports (
        id TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        version BIGINT NOT NULL,
        reference TEXT NOT NULL,
        since BIGINT NOT NULL,
        until BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        drifted BIGINT NOT NULL,
        share DOUBLE PRECISION NOT NULL,
        report TEXT NOT NULL)
    """,
    "CREATE INDEX drift_reports_model_time ON drift_reports (model, created_at)",
])
