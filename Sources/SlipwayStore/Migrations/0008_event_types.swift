/// Event types become namespaced and versioned (`model.promoted` -> `ml.model.promoted.v1`): the
/// recorded events and the webhooks' subscribed types and patterns are renamed so that existing
/// subscriptions keep matching. Deliveries name their receiver: one of Slipway's webhooks
/// (`slipway`, the subscriptions table) or one registered through MLflow's API (`mlflow`).
let migration0008EventTypes = Migration(version: 8, name: "event_types", statements: [
    "ALTER TABLE deliveries ADD COLUMN receiver TEXT NOT NULL DEFAULT 'slipway'",
    "CREATE INDEX deliveries_webhook ON deliveries (subscription_id)",
    """
    UPDATE events SET type = CASE type
        WHEN 'model.promoted' THEN 'ml.model.promoted.v1'
        WHEN 'model.archived' THEN 'ml.model.archived.v1'
        WHEN 'model.rolled_back' THEN 'ml.model.rolled_back.v1'
        WHEN 'model.staged' THEN 'ml.model.staged.v1'
        WHEN 'evaluation.completed' THEN 'ml.evaluation.completed.v1'
        WHEN 'serving.swapped' THEN 'ml.serving.swapped.v1'
        WHEN 'serving.load_failed' THEN 'ml.serving.load_failed.v1'
        ELSE type END
    """,
    // Subscribed types are a JSON list of strings: exact types gain the namespace and version,
    // prefixes (`model.*`) the namespace.
    """
    UPDATE subscriptions SET event_types =
        REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(event_types,
            '"model.promoted"', '"ml.model.promoted.v1"'),
            '"model.archived"', '"ml.model.archived.v1"'),
            '"model.rolled_back"', '"ml.model.rolled_back.v1"'),
            '"model.staged"', '"ml.model.staged.v1"'),
            '"evaluation.completed"', '"ml.evaluation.completed.v1"'),
            '"serving.swapped"', '"ml.serving.swapped.v1"'),
            '"serving.load_failed"', '"ml.serving.load_failed.v1"'),
            '"model.*"', '"ml.model.*"'),
            '"evaluation.*"', '"ml.evaluation.*"'),
            '"serving.*"', '"ml.serving.*"')
    """,
])
