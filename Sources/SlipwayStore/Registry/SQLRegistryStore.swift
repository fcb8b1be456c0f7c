public import SlipwayCore
import SQLKit

/// The model registry over SQL: registered models here, versions, stages and aliases in
/// `SQLRegistryStore+Versions.swift`.
public struct SQLRegistryStore: RegistryStore {
    let database: StoreDatabase
    let now: @Sendable () -> Int64
    /// Signalled after every write that can change which version an alias or stage points at.
    public let changes: RegistryChanges

    /// - Parameters:
    ///   - database: an open, migrated database.
    ///   - now: the clock, in milliseconds since the Unix epoch.
    public init(database: StoreDatabase, now: @escaping @Sendable () -> Int64 = WallClock.milliseconds, changes: RegistryChanges = RegistryChanges()) {
        self.database = database
        self.now = now
        self.changes = changes
    }


    public func createRegisteredModel(name: String, tags: [KeyValue], description: String?) async throws -> RegisteredModel {
        try Self.validateModelName(name)
        let time = now()
        do {
            try await database.transaction { db in
                if try await database.first(db, "SELECT 1 AS one FROM registered_models WHERE name = \(bind: name)") != nil {
                    throw SlipwayError.alreadyExists("Registered Model (name=\(name)) already exists.")
                }
                try await database.run(db, """
                    INSERT INTO registered_models (name, creation_timestamp, last_updated_timestamp, description)
                    VALUES (\(bind: name), \(bind: time), \(bind: time), \(bind: description))
                    """)
                for tag in tags { try await upsertModelTag(db, name: name, tag) }
                try await announce(db, .registeredModelCreated, model: name, [
                    ("name", .string(name)), ("tags", Self.tagObject(tags)), ("description", .string(description ?? "")),  // MLflow sends "" here
                ])
            }
        } catch where isUniqueViolation(error) {
            throw SlipwayError.alreadyExists("Registered Model (name=\(name)) already exists.")
        }
        return RegisteredModel(name: name, creationTimestamp: time, lastUpdatedTimestamp: time, description: description, tags: tags)
    }

    public func getRegisteredModel(name: String) async throws -> RegisteredModel {
        try await database.withConnection { db in
            guard let model = try await fetchModels(db, where: "name = \(bind: name)").first else {
                throw SlipwayError.notFound("Registered Model with name=\(name) not found")
            }
            return model
        }
    }

    public func updateRegisteredModel(name: String, description: String) async throws -> RegisteredModel {
        let time = now()
        try await database.transaction { db in
            try await requireModel(db, name)
            try await database.run(db, "UPDATE registered_models SET description = \(bind: description), last_updated_timestamp = \(bind: time) WHERE name = \(bind: name)")
        }
        return try await getRegisteredModel(name: name)
    }

    public func renameRegisteredModel(name: String, newName: String) async throws -> RegisteredModel {
        try Self.validateModelName(newName)
        let time = now()
        try await database.transaction { db in
            try await database.announce(db, .model, newName)
            try await database.announce(db, .model, name)
            try await requireModel(db, name)
            if try await database.first(db, "SELECT 1 AS one FROM registered_models WHERE name = \(bind: newName)") != nil {
                throw SlipwayError.alreadyExists("Registered Model (name=\(newName)) already exists.")
            }
            try await database.run(db, "UPDATE registered_models SET name = \(bind: newName), last_updated_timestamp = \(bind: time) WHERE name = \(bind: name)")
            for table in ["registered_model_tags", "model_versions", "model_version_tags", "registered_model_aliases"] {
                try await database.run(db, "UPDATE \(unsafeRaw: table) SET name = \(bind: newName) WHERE name = \(bind: name)")
            }
            try await database.run(db, "UPDATE model_versions SET last_updated_timestamp = \(bind: time) WHERE name = \(bind: newName)")
        }
        changes.notify(name)
        changes.notify(newName)
        return try await getRegisteredModel(name: newName)
    }

    public func deleteRegisteredModel(name: String) async throws {
        try await database.transaction { db in
            try await database.announce(db, .model, name)
            try await requireModel(db, name)
            for table in ["registered_model_aliases", "model_version_tags", "model_versions", "registered_model_tags", "registered_models"] {
                try await database.run(db, "DELETE FROM \(unsafeRaw: table) WHERE name = \(bind: name)")
            }
        }
        changes.notify(name)
    }

    public func searchRegisteredModels(_ search: EntitySearch) async throws -> Page<RegisteredModel> {
        let offset = try PageToken.decode(search.pageToken)
        let filter = FilterSQL { c in
            if c.entity == .tag {
                // `tag.k != 'v'` also matches models without the tag: the MLflow client ANDs
                // `tag.mlflow.prompt.is_prompt != 'true'` onto every search and expects all models back.
                if c.comparator == .notEqual {
                    return "NOT " + FilterSQL.exists(table: "registered_model_tags", ownerColumn: "name", outer: "registered_models.name", key: c.key, .equal, c.value)
                }
                return FilterSQL.exists(table: "registered_model_tags", ownerColumn: "name", outer: "registered_models.name", key: c.key, c.comparator, c.value)
            }
            return FilterSQL.compare("registered_models.\(Self.modelColumn(c.key))", c.comparator, c.value)
        }
        var order = search.orderBy.map { "\(Self.modelColumn($0.key)) \($0.ascending ? "ASC" : "DESC")" }
        order.append("name ASC")
        let condition: SQLQueryString = try filter.condition(search.filter)
            + " ORDER BY \(unsafeRaw: order.joined(separator: ", ")) LIMIT \(bind: search.maxResults + 1) OFFSET \(bind: offset)"
        let models = try await database.withConnection { db in try await fetchModels(db, where: condition) }
        return PageToken.page(models, offset: offset, limit: search.maxResults)
    }

    public func setRegisteredModelTag(name: String, tag: KeyValue) async throws {
        try TrackingValidation.validateName(tag.key, kind: "tag")
        try await database.transaction { db in
            try await requireModel(db, name)
            try await upsertModelTag(db, name: name, tag)
        }
    }

    public func deleteRegisteredModelTag(name: String, key: String) async throws {
        try await database.transaction { db in
            try await requireModel(db, name)
            try await database.run(db, "DELETE FROM registered_model_tags WHERE name = \(bind: name) AND key = \(bind: key)")
        }
    }

    // MARK: - Shared pieces

    /// The column behind a registered-model search attribute (`timestamp` is MLflow's short name).
    static func modelColumn(_ attribute: String) -> String {
        switch attribute {
        case "creation_timestamp": return "creation_timestamp"
        case "last_updated_timestamp", "timestamp": return "last_updated_timestamp"
        default: return "name"
        }
    }

    static func validateModelName(_ name: String) throws {
        if name.isEmpty { throw SlipwayError.invalidParameter("Missing value for required parameter 'name'.") }
        if name.count > 256 { throw SlipwayError.invalidParameter("Registered model name '\(name.prefix(20))...' is longer than 256 characters.") }
    }

    func requireModel(_ db: any SQLDatabase, _ name: String) async throws {
        guard try await database.first(db, "SELECT 1 AS one FROM registered_models WHERE name = \(bind: name)") != nil else {
            throw SlipwayError.notFound("Registered Model with name=\(name) not found")
        }
    }

    func upsertModelTag(_ db: any SQLDatabase, name: String, _ tag: KeyValue) async throws {
        try await database.run(db, """
            INSERT INTO registered_model_tags (name, key, value) VALUES (\(bind: name), \(bind: tag.key), \(bind: tag.value))
            ON CONFLICT (name, key) DO UPDATE SET value = excluded.value
            """)
    }

    /// Loads models with tags, aliases and the latest version per stage.
    func fetchModels(_ db: any SQLDatabase, where condition: SQLQueryString) async throws -> [RegisteredModel] {
        let rows = try await database.rows(db, "SELECT name, creation_timestamp, last_updated_timestamp, description FROM registered_models WHERE " + condition)
        var models = try rows.map { row in
            RegisteredModel(
                name: try row.string("name"),
                creationTimestamp: try row.int64("creation_timestamp"),
                lastUpdatedTimestamp: try row.int64("last_updated_timestamp"),
                description: try row.optionalString("description"))
        }
        if models.isEmpty { return models }
        let names = models.map(\.name)
        var index: [String: Int] = [:]
        for (i, m) in models.enumerated() { index[m.name] = i }
        let tags = try await database.keyValues(db, table: "registered_model_tags", owner: "name", in: names)
        for i in models.indices { models[i].tags = tags[models[i].name] ?? [] }
        for row in try await database.rows(db, "SELECT name, alias, version FROM registered_model_aliases WHERE name IN (\(binds: names)) ORDER BY alias") {
            guard let i = index[try row.string("name")] else { continue }
            models[i].aliases.append(ModelAlias(alias: try row.string("alias"), version: try row.int("version")))
        }
        // The newest version in each stage.
        let latest = try await fetchVersions(db, where: """
            name IN (\(binds: names)) AND version IN (
                SELECT MAX(v.version) FROM model_versions v WHERE v.name = model_versions.name GROUP BY v.current_stage)
            ORDER BY version
            """, withTagsAndAliases: false)
        for version in latest {
            guard let i = index[version.name] else { continue }
            models[i].latestVersions.append(version)
        }
        return models
    }
}
