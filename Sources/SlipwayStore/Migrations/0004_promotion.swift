/// Promotion policies (one per registered model, as JSON) and the audit log of decisions,
/// approvals and rollbacks.
let migration0004Promotion = Migration(version: 4, name: "promotion", statements: [
    """
    CREATE TABLE promotion_policies (
        name TEXT PRIMARY KEY,
        policy TEXT NOT NULL,
        updated_at BIGINT NOT NULL)
    """,
    """
    CREATE TABLE promotion_records (
        record_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT NOT NULL,
        time BIGINT NOT NULL,
        action TEXT NOT NULL,
        from_version BIGINT,
        to_version BIGINT,
        summary TEXT NOT NULL,
        details TEXT NOT NULL)
    """,
    "CREATE INDEX promotion_records_name_time ON promotion_records (name, time)",
])
