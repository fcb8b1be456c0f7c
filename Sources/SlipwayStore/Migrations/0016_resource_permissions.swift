/// Per-resource permissions in MLflow's vocabulary: one user's READ, EDIT, MANAGE or
/// NO_PERMISSIONS on one resource: a registered model (by name) or an experiment (by id).
let migration0016ResourcePermissions = Migration(version: 16, name: "resource_permissions", statements: [
    """
    CREATE TABLE resource_permissions (
        resource_type TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        user_name TEXT NOT NULL,
        permission TEXT NOT NULL,
        PRIMARY KEY (resource_type, resource_id, user_name))
    """,
    "CREATE INDEX resource_permissions_user ON resource_permissions (user_name)",
])
