/// For a predict job over a SQL source, the highest watermark value it has read (as text), so that
/// its next run reads only the rows above it.
let migration0013PredictionJobWatermarks = Migration(version: 13, name: "prediction_job_watermarks", statements: [
    """
    CREATE TABLE prediction_job_watermarks (
        job TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        run_id TEXT NOT NULL,
        recorded_at BIGINT NOT NULL)
    """,
])
