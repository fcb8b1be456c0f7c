public import SlipwayCore
import SQLKit

/// Per-resource grants over SQL (`resource_permissions`).
extension SQLAuthStore {
    public func grant(_ grant: ResourceGrant, replacing: Bool) async throws {
        guard !grant.resource.isEmpty, grant.resource.utf8.count <= 1000 else {
            throw SlipwayError.invalidParameter("A resource id or name is 1 to 1000 bytes")
        }
        try await database.transaction { db in
            try await database.announce(db, .grant, grant.user)
            guard try await database.first(db, "SELECT 1 AS one FROM users WHERE name = \(bind: grant.user)") != nil else {
                throw SlipwayError.notFound("No user named '\(grant.user)'")
            }
            let existing = try await database.first(db, """
                SELECT permission FROM resource_permissions
                WHERE resource_type = \(bind: grant.type.rawValue) AND resource_id = \(bind: grant.resource) AND user_name = \(bind: grant.user)
                """)
            switch (existing, replacing) {
            case (nil, false):
                try await database.run(db, """
                    INSERT INTO resource_permissions (resource_type, resource_id, user_name, permission)
                    VALUES (\(bind: grant.type.rawValue), \(bind: grant.resource), \(bind: grant.user), \(bind: grant.permission.rawValue))
                    """)
            case (nil, true):
                throw SlipwayError.notFound("User '\(grant.user)' has no permission on \(grant.type.describe(grant.resource)) to update")
            case (.some, false):
                throw SlipwayError(.resourceAlreadyExists, "User '\(grant.user)' already has a permission on \(grant.type.describe(grant.resource))")
            case (.some, true):
                try await database.run(db, """
                    UPDATE resource_permissions SET permission = \(bind: grant.permission.rawValue)
                    WHERE resource_type = \(bind: grant.type.rawValue) AND resource_id = \(bind: grant.resource) AND user_name = \(bind: grant.user)
                    """)
            }
        }
    }

    public func revoke(_ type: ResourceType, _ resource: String, user: String) async throws {
        try await database.transaction { db in
            try await database.announce(db, .grant, user)
            guard try await database.first(db, """
                DELETE FROM resource_permissions
                WHERE resource_type = \(bind: type.rawValue) AND resource_id = \(bind: resource) AND user_name = \(bind: user)
                RETURNING user_name
                """) != nil else {
                throw SlipwayError.notFound("User '\(user)' has no permission on \(type.describe(resource))")
            }
        }
    }

    public func grant(_ type: ResourceType, _ resource: String, user: String) async throws -> ResourceGrant? {
        try await database.withConnection { db in
            try await database.first(db, """
                SELECT * FROM resource_permissions
                WHERE resource_type = \(bind: type.rawValue) AND resource_id = \(bind: resource) AND user_name = \(bind: user)
                """).map(Self.grant)
        }
    }

    public func grants(user: String) async throws -> [ResourceGrant] {
        try await database.withConnection { db in
            try await database.rows(db, """
                SELECT * FROM resource_permissions WHERE user_name = \(bind: user) ORDER BY resource_type, resource_id
                """).map(Self.grant)
        }
    }

    public func moveGrants(_ type: ResourceType, from: String, to: String?) async throws {
        try await database.transaction { db in
            try await database.announce(db, .grant, from)
            if let to {
                // Whatever waited on the new name goes: the renamed resource's grants are the ones that count.
                try await database.run(db, """
                    DELETE FROM resource_permissions WHERE resource_type = \(bind: type.rawValue) AND resource_id = \(bind: to)
                    """)
                try await database.run(db, """
                    UPDATE resource_permissions SET resource_id = \(bind: to) WHERE resource_type = \(bind: type.rawValue) AND resource_id = \(bind: from)
                    """)
            } else {
                try await database.run(db, """
                    DELETE FROM resource_permissions WHERE resource_type = \(bind: type.rawValue) AND resource_id = \(bind: from)
                    """)
            }
        }
    }

    static func grant(_ row: StoreRow) throws -> ResourceGrant {
        ResourceGrant(
            type: try ResourceType.parse(try row.string("resource_type")), resource: try row.string("resource_id"), user: try row.string("user_name"),
            permission: try Permission.parse(try row.string("permission")))
    }
}
