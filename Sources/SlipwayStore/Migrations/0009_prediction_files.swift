/// The input files each predict job has read, so that its next run reads only new ones.
let migration0009PredictionFiles = Migration(version: 9, name: "prediction_files", statements: [
    """
    CREATE TABLE prediction_job_files (
        job TEXT NOT NULL,
        path TEXT NOT NULL,
        size BIGINT NOT NULL,
        modified_at BIGINT NOT NULL,
        digest TEXT NOT NULL,
        rows_read BIGINT NOT NULL,
        run_id TEXT NOT NULL,
        recorded_at BIGINT NOT NULL,
        PRIMARY KEY (job, path))
    """,
])
