/// Jobs become pipeline steps: a schedule read in a time zone (or none: '' in `schedule`), the jobs
/// a job runs after, the event type that triggers it, the jobs whose last run must have passed for
/// it to run, the pipeline file that declared it, and what has triggered it (across processes, a
/// compare-and-set): the newest upstream run answered, and the events of its type recorded (counted
/// as each is written) against those answered. Runs carry a heartbeat (a run whose process died
/// stops beating and is marked abandoned) and their details (a command's exit code, attempts,
/// output artifact, the MLflow runs it logged).
let migration0017Pipelines = Migration(version: 17, name: "pipelines", statements: [
    "ALTER TABLE jobs ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC'",
    "ALTER TABLE jobs ADD COLUMN after_jobs TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE jobs ADD COLUMN on_event TEXT",
    "ALTER TABLE jobs ADD COLUMN requires_jobs TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE jobs ADD COLUMN pipeline TEXT",
    "ALTER TABLE jobs ADD COLUMN after_mark BIGINT",
    "ALTER TABLE jobs ADD COLUMN event_count BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE jobs ADD COLUMN event_claimed BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE job_runs ADD COLUMN heartbeat_at BIGINT",
    "ALTER TABLE job_runs ADD COLUMN details TEXT",
    "CREATE INDEX job_runs_running ON job_runs (status, heartbeat_at)",
])
