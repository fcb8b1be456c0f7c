/// Monitoring rules: a rule's settings (its JSON), its state (`ok` or `breached`) and since when,
/// and its last check, so that a breach is reported once until it clears.
let migration0014MonitorRules = Migration(version: 14, name: "monitor_rules", statements: [
    """
    CREATE TABLE monitor_rules (
        name TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        spec TEXT NOT NULL,
        state TEXT NOT NULL,
        state_since BIGINT,
        checked_at BIGINT,
        last_check TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL)
    """,
    "CREATE INDEX monitor_rules_model ON monitor_rules (model)",
])
