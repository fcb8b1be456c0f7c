/// Webhooks for Slipway's events (`subscriptions`) and one delivery row per event and webhook,
/// written in the event's transaction and updated on every attempt.
let migration0005Deliveries = Migration(version: 5, name: "deliveries", statements: [
    """
    CREATE TABLE subscriptions (
        subscription_id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        event_types TEXT NOT NULL,
        secret TEXT,
        format TEXT NOT NULL,
        created_at BIGINT NOT NULL)
    """,
    """
    CREATE TABLE deliveries (
        delivery_id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        subscription_id TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts BIGINT NOT NULL,
        next_attempt_at BIGINT NOT NULL,
        last_attempt_at BIGINT,
        last_status_code BIGINT,
        last_error TEXT,
        delivered_at BIGINT,
        created_at BIGINT NOT NULL)
    """,
    "CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at)",
    "CREATE INDEX deliveries_event ON deliveries (event_id)",
])
