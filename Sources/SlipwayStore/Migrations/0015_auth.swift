/// Users and their API tokens: a token is kept as its public id and the SHA-256 of its text,
/// never the text itself; expiry, revocation and last use are recorded.
let migration0015Auth = Migration(version: 15, name: "auth", statements: [
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        is_admin BIGINT NOT NULL,
        password_hash TEXT,
        created_at BIGINT NOT NULL)
    """,
    """
    CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        user_name TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        last_used_at BIGINT,
        revoked_at BIGINT)
    """,
    "CREATE INDEX api_tokens_user ON api_tokens (user_name)",
])
