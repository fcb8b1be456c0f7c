/// Changes servers sharing a PostgreSQL database announce to each other (LISTEN/NOTIFY): numbered
/// from one counter row, so a server whose listening connection dropped reads what it missed.
/// `origin` is the announcing process, which skips its own.
let migration0018Changes = Migration(version: 18, name: "changes", statements: [
    "CREATE TABLE change_counter (id INTEGER PRIMARY KEY, value BIGINT NOT NULL)",
    "INSERT INTO change_counter (id, value) VALUES (1, 0)",
    """
    CREATE TABLE changes (
        seq BIGINT PRIMARY KEY,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        origin TEXT NOT NULL,
        created_at BIGINT NOT NULL
    )
    """,
    "CREATE INDEX changes_created ON changes (created_at)",
])
