/// The event log: one row per CloudEvents event, newest found by time. Webhook deliveries (the
/// outbox's other half) will reference `event_id`.
let migration0003Events = Migration(version: 3, name: "events", statements: [
    """
    CREATE TABLE events (
        event_id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        source TEXT NOT NULL,
        subject TEXT NOT NULL,
        time BIGINT NOT NULL,
        data TEXT NOT NULL)
    """,
    "CREATE INDEX events_time ON events (time, event_id)",
    "CREATE INDEX events_type_time ON events (type, time)",
])
