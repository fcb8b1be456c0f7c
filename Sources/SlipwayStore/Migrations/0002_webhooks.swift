/// MLflow webhook registrations; events are stored as JSON (`[{"entity":..,"action":..}]`).
let migration0002Webhooks = Migration(version: 2, name: "webhooks", statements: [
    """
    CREATE TABLE webhooks (
        webhook_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        url TEXT NOT NULL,
        events_json TEXT NOT NULL,
        status TEXT NOT NULL,
        secret TEXT,
        creation_timestamp BIGINT NOT NULL,
        last_updated_timestamp BIGINT NOT NULL)
    """,
])
