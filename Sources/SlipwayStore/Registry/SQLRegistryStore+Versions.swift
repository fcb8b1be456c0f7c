public import SlipwayCore
import SQLKit

extension SQLRegistryStore {
    public func createModelVersion(_ request: CreateModelVersionRequest) async throws -> ModelVersion {
        let time = now()
        for attempt in 0..<8 {
            do {
                let lock = database.forUpdate
                let version = try await database.transaction { db in
                    // Lock the model's row so concurrent creators take numbers one after another.
                    guard try await database.first(db, "SELECT name FROM registered_models WHERE name = \(bind: request.name)\(unsafeRaw: lock)") != nil else {
                        throw SlipwayError.notFound("Registered Model with name=\(request.name) not found")
                    }
                    let row = try await database.first(db, "SELECT COALESCE(MAX(version), 0) + 1 AS next FROM model_versions WHERE name = \(bind: request.name)")
                    let version = try row?.int64("next") ?? 1
                    try await database.run(db, """
                        INSERT INTO model_versions (name, version, creation_timestamp, last_updated_timestamp, description, user_id,
                                                    current_stage, source, run_id, run_link, status, model_id)
                        VALUES (\(bind: request.name), \(bind: version), \(bind: time), \(bind: time), \(bind: request.description),
                                \(bind: request.userID), 'None', \(bind: request.source), \(bind: request.runID), \(bind: request.runLink),
                                'READY', \(bind: request.modelID))
                        """)
                    for tag in request.tags {
                        try await database.run(db, """
                            INSERT INTO model_version_tags (name, version, key, value) VALUES (\(bind: request.name), \(bind: version), \(bind: tag.key), \(bind: tag.value))
                            ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value
                            """)
                    }
                    try await database.run(db, "UPDATE registered_models SET last_updated_timestamp = \(bind: time) WHERE name = \(bind: request.name)")
                    try await announce(db, .modelVersionCreated, model: request.name, version: Int(version), [
                        ("name", .string(request.name)), ("version", .string(String(version))), ("source", .string(request.source)),
                        ("run_id", Self.nullable(request.runID)), ("tags", Self.tagObject(request.tags)), ("description", Self.nullable(request.description)),
                    ])
                    return Int(version)
                }
                return try await getModelVersion(name: request.name, version: version)
            } catch where isUniqueViolation(error) && attempt < 7 {
                continue
            }
        }
        throw SlipwayError(.internalError, "Could not allocate a version number for \(request.name)")
    }

    public func getModelVersion(name: String, version: Int) async throws -> ModelVersion {
        try await database.withConnection { db in
            guard let found = try await fetchVersions(db, where: "name = \(bind: name) AND version = \(bind: Int64(version))", withTagsAndAliases: true).first else {
                throw SlipwayError.notFound("Model Version (name=\(name), version=\(version)) not found")
            }
            return found
        }
    }

    public func updateModelVersion(name: String, version: Int, description: String) async throws -> ModelVersion {
        let time = now()
        try await database.transaction { db in
            try await requireVersion(db, name, version)
            try await database.run(db, """
                UPDATE model_versions SET description = \(bind: description), last_updated_timestamp = \(bind: time)
                WHERE name = \(bind: name) AND version = \(bind: Int64(version))
                """)
        }
        return try await getModelVersion(name: name, version: version)
    }

    public func deleteModelVersion(name: String, version: Int) async throws {
        let time = now()
        try await database.transaction { db in
            try await database.announce(db, .model, name)
            try await requireVersion(db, name, version)
            for table in ["registered_model_aliases", "model_version_tags", "model_versions"] {
                try await database.run(db, "DELETE FROM \(unsafeRaw: table) WHERE name = \(bind: name) AND version = \(bind: Int64(version))")
            }
            try await database.run(db, "UPDATE registered_models SET last_updated_timestamp = \(bind: time) WHERE name = \(bind: name)")
        }
        changes.notify(name)
    }

    public func transitionStage(name: String, version: Int, stage: ModelStage, archiveExisting: Bool) async throws -> ModelVersion {
        let time = now()
        try await database.transaction { db in
            try await database.announce(db, .model, name)
            try await requireVersion(db, name, version)
            if archiveExisting, stage == .staging || stage == .production {
                try await database.run(db, """
                    UPDATE model_versions SET current_stage = 'Archived', last_updated_timestamp = \(bind: time)
                    WHERE name = \(bind: name) AND current_stage = \(bind: stage.rawValue) AND version <> \(bind: Int64(version))
                    """)
            }
            try await writeStage(db, name: name, version: version, stage: stage, time: time)
            try await database.run(db, "UPDATE registered_models SET last_updated_timestamp = \(bind: time) WHERE name = \(bind: name)")
        }
        changes.notify(name)
        return try await getModelVersion(name: name, version: version)
    }

    /// Sets one version's stage, inside a transaction.
    func writeStage(_ db: any SQLDatabase, name: String, version: Int, stage: ModelStage, time: Int64) async throws {
        try await database.run(db, """
            UPDATE model_versions SET current_stage = \(bind: stage.rawValue), last_updated_timestamp = \(bind: time)
            WHERE name = \(bind: name) AND version = \(bind: Int64(version))
            """)
    }

    public func setModelVersionTag(name: String, version: Int, tag: KeyValue) async throws {
        try TrackingValidation.validateName(tag.key, kind: "tag")
        try await database.transaction { db in
            try await requireVersion(db, name, version)
            try await database.run(db, """
                INSERT INTO model_version_tags (name, version, key, value) VALUES (\(bind: name), \(bind: Int64(version)), \(bind: tag.key), \(bind: tag.value))
                ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value
                """)
            try await announce(db, .modelVersionTagSet, model: name, version: version, [
                ("name", .string(name)), ("version", .string(String(version))), ("key", .string(tag.key)), ("value", .string(tag.value)),
            ])
        }
    }

    public func deleteModelVersionTag(name: String, version: Int, key: String) async throws {
        try await database.transaction { db in
            try await requireVersion(db, name, version)
            try await database.run(db, "DELETE FROM model_version_tags WHERE name = \(bind: name) AND version = \(bind: Int64(version)) AND key = \(bind: key)")
            try await announce(db, .modelVersionTagDeleted, model: name, version: version, [
                ("name", .string(name)), ("version", .string(String(version))), ("key", .string(key)),
            ])
        }
    }

    public func searchModelVersions(_ search: EntitySearch) async throws -> Page<ModelVersion> {
        let offset = try PageToken.decode(search.pageToken)
        let filter = FilterSQL { c in
            if c.entity == .tag {
                if c.comparator == .notEqual {
                    return "NOT EXISTS (SELECT 1 FROM model_version_tags x WHERE x.name = model_versions.name AND x.version = model_versions.version AND x.key = \(bind: c.key) AND x.value = \(bind: c.value.text))"
                }
                return "EXISTS (SELECT 1 FROM model_version_tags x WHERE x.name = model_versions.name AND x.version = model_versions.version AND x.key = \(bind: c.key) AND "
                    + FilterSQL.compare("x.value", c.comparator, c.value) + ")"
            }
            if c.key == "version_number" || c.key == "version" {
                let value: FilterValue
                switch c.value {
                case .string(let s): value = .number(Double(s) ?? -1)
                default: value = c.value
                }
                if case .list(let items) = value {
                    let numbers = items.compactMap { Int64($0) }
                    return "model_versions.version \(unsafeRaw: c.comparator == .notIn ? "NOT IN" : "IN") (\(binds: numbers.isEmpty ? [-1] : numbers))"
                }
                return FilterSQL.compare("model_versions.version", c.comparator, value)
            }
            let column = c.key == "source_path" ? "source" : c.key == "timestamp" ? "last_updated_timestamp" : c.key
            return FilterSQL.compare("model_versions.\(column)", c.comparator, c.value)
        }
        var order = search.orderBy.map { term -> String in
            let column = term.key == "version_number" ? "version" : term.key == "timestamp" ? "last_updated_timestamp" : term.key
            return "\(column) \(term.ascending ? "ASC" : "DESC")"
        }
        order.append(contentsOf: ["name ASC", "version DESC"])
        let condition: SQLQueryString = try filter.condition(search.filter)
            + " ORDER BY \(unsafeRaw: order.joined(separator: ", ")) LIMIT \(bind: search.maxResults + 1) OFFSET \(bind: offset)"
        let versions = try await database.withConnection { db in try await fetchVersions(db, where: condition, withTagsAndAliases: true) }
        return PageToken.page(versions, offset: offset, limit: search.maxResults)
    }

    public func latestVersions(name: String, stages: [ModelStage]) async throws -> [ModelVersion] {
        let model = try await getRegisteredModel(name: name)
        let wanted = Set(stages)
        let latest = model.latestVersions.filter { wanted.isEmpty || wanted.contains($0.currentStage) }
        return try await database.withConnection { db in
            if latest.isEmpty { return [] }
            return try await fetchVersions(db, where: "name = \(bind: name) AND version IN (\(binds: latest.map { Int64($0.version) })) ORDER BY version", withTagsAndAliases: true)
        }
    }

    // MARK: - Aliases

    public func setAlias(name: String, alias: String, version: Int) async throws {
        try Self.validateAlias(alias)
        let time = now()
        try await database.transaction { db in
            try await database.announce(db, .model, name)
            try await requireVersion(db, name, version)
            try await writeAlias(db, name: name, alias: alias, version: version)
            try await database.run(db, "UPDATE registered_models SET last_updated_timestamp = \(bind: time) WHERE name = \(bind: name)")
        }
        changes.notify(name)
    }

    /// Points an alias at a version (which must exist), or removes it for `nil`, inside a transaction,
    /// with MLflow's `model_version_alias.created` or `.deleted` event.
    func writeAlias(_ db: any SQLDatabase, name: String, alias: String, version: Int?) async throws {
        guard let version else {
            try await database.run(db, "DELETE FROM registered_model_aliases WHERE name = \(bind: name) AND alias = \(bind: alias)")
            try await announce(db, .modelVersionAliasDeleted, model: name, [("name", .string(name)), ("alias", .string(alias))])
            return
        }
        try await database.run(db, """
            INSERT INTO registered_model_aliases (name, alias, version) VALUES (\(bind: name), \(bind: alias), \(bind: Int64(version)))
            ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version
            """)
        try await announce(db, .modelVersionAliasCreated, model: name, version: version, [
            ("name", .string(name)), ("alias", .string(alias)), ("version", .string(String(version))),
        ])
    }

    /// The version an alias points at, inside a transaction.
    func aliasedVersion(_ db: any SQLDatabase, name: String, alias: String) async throws -> Int? {
        try await database.first(db, "SELECT version FROM registered_model_aliases WHERE name = \(bind: name) AND alias = \(bind: alias)")?.int("version")
    }

    public func deleteAlias(name: String, alias: String) async throws {
        let time = now()
        try await database.transaction { db in
            try await database.announce(db, .model, name)
            try await requireModel(db, name)
            try await writeAlias(db, name: name, alias: alias, version: nil)
            try await database.run(db, "UPDATE registered_models SET last_updated_timestamp = \(bind: time) WHERE name = \(bind: name)")
        }
        changes.notify(name)
    }

    public func getModelVersion(name: String, alias: String) async throws -> ModelVersion {
        let version = try await database.withConnection { db in try await aliasedVersion(db, name: name, alias: alias) }
        guard let version else {
            throw SlipwayError.invalidParameter("Registered model alias \(alias) not found.")
        }
        return try await getModelVersion(name: name, version: version)
    }

    /// MLflow's alias rules: not empty, at most 255 characters, not `latest`, not shaped like a version (`v12`).
    static func validateAlias(_ alias: String) throws {
        if alias.isEmpty { throw SlipwayError.invalidParameter("Missing value for required parameter 'alias'.") }
        if alias.count > 255 { throw SlipwayError.invalidParameter("Alias name '\(alias.prefix(20))...' exceeds the maximum length of 255 characters.") }
        let lower = alias.lowercased()
        if lower == "latest" {
            throw SlipwayError.invalidParameter("'\(alias)' alias name (case insensitive) is reserved.")
        }
        if lower.hasPrefix("v"), lower.count > 1, lower.dropFirst().allSatisfy(\.isNumber) {
            throw SlipwayError.invalidParameter("Version alias name '\(alias)' is reserved.")
        }
    }

    func requireVersion(_ db: any SQLDatabase, _ name: String, _ version: Int) async throws {
        guard try await database.first(db, "SELECT 1 AS one FROM model_versions WHERE name = \(bind: name) AND version = \(bind: Int64(version))") != nil else {
            throw SlipwayError.notFound("Model Version (name=\(name), version=\(version)) not found")
        }
    }

    func fetchVersions(_ db: any SQLDatabase, where condition: SQLQueryString, withTagsAndAliases: Bool) async throws -> [ModelVersion] {
        let rows = try await database.rows(db, """
            SELECT name, version, creation_timestamp, last_updated_timestamp, description, user_id, current_stage, source, run_id, run_link, status, model_id
            FROM model_versions WHERE
            """ + " " + condition)
        var versions = try rows.map { row in
            ModelVersion(
                name: try row.string("name"),
                version: try row.int("version"),
                creationTimestamp: try row.int64("creation_timestamp"),
                lastUpdatedTimestamp: try row.int64("last_updated_timestamp"),
                currentStage: ModelStage(rawValue: try row.string("current_stage")) ?? .none,
                description: try row.string("description"),
                userID: try row.string("user_id"),
                source: try row.string("source"),
                runID: try row.string("run_id"),
                runLink: try row.string("run_link"),
                status: try row.string("status"),
                modelID: try row.optionalString("model_id"))
        }
        guard withTagsAndAliases, !versions.isEmpty else { return versions }
        let names = Array(Set(versions.map(\.name)))
        var index: [String: Int] = [:]
        for (i, v) in versions.enumerated() { index["\(v.name)\u{0}\(v.version)"] = i }
        for row in try await database.rows(db, "SELECT name, version, key, value FROM model_version_tags WHERE name IN (\(binds: names)) ORDER BY key") {
            let key = "\(try row.string("name"))\u{0}\(try row.int("version"))"
            guard let i = index[key] else { continue }
            versions[i].tags.append(KeyValue(key: try row.string("key"), value: try row.string("value")))
        }
        for row in try await database.rows(db, "SELECT name, version, alias FROM registered_model_aliases WHERE name IN (\(binds: names)) ORDER BY alias") {
            let key = "\(try row.string("name"))\u{0}\(try row.int("version"))"
            guard let i = index[key] else { continue }
            versions[i].aliases.append(try row.string("alias"))
        }
        return versions
    }
}
