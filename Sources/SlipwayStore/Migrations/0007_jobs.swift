/// Scheduled jobs and their runs.
let migration0007Jobs = Migration(version: 7, name: "jobs", statements: [
    """
    CREATE TABLE jobs (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        model TEXT NOT NULL,
        argument TEXT,
        schedule TEXT NOT NULL,
        enabled BIGINT NOT NULL,
        next_run_at BIGINT,
        created_at BIGINT NOT NULL)
    """,
    """
    CREATE TABLE job_runs (
        run_id TEXT PRIMARY KEY,
        job TEXT NOT NULL,
        triggered_by TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        finished_at BIGINT,
        output TEXT NOT NULL)
    """,
    "CREATE INDEX job_runs_job ON job_runs (job, started_at)",
])
