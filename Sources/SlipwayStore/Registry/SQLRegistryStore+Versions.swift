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
                    guard try await db.raw("SELECT name FROM registered_models WHERE name = \(bind: request.name)\(unsafeRaw: lock)").first() != nil else {
                        throw SlipwayError.notFound("Registered Model with name=\(request.name) not found")
                    }
                    let row = try await db.raw("SELECT COALESCE(MAX(version), 0) + 1 AS next FROM model_versions WHERE name = \(bind: request.name)").first()
                    let version = try row?.decode(column: "next", as: Int64.self) ?? 1
                    try await db.raw("""
                        INSERT INTO model_versions (name, version, creation_timestamp, last_updated_timestamp, description, user_id,
                                                    current_stage, source, run_id, run_link, status, model_id)
                        VALUES (\(bind: request.name), \(bind: version), \(bind: time), \(bind: time), \(bind: request.description),
                                \(bind: request.userID), 'None', \(bind: request.source), \(bind: request.runID), \(bind: request.runLink),
                                'READY', \(bind: request.modelID))
                        """).run()
                    for tag in request.tags {
                        try await db.raw("""
                            INSERT INTO model_version_tags (name, version, key, value) VALUES (\(bind: request.name), \(bind: version), \(bind: tag.key), \(bind: tag.value))
                            ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value
                            """).run()
                    }
                    try await db.raw("UPDATE registered_models SET last_updated_timestamp = \(bind: time) WHERE name = \(bind: request.name)").run()
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
            try await Self.requireVersion(db, name, version)
            try await db.raw("""
                UPDATE model_versions SET description = \(bind: description), last_updated_timestamp = \(bind: time)
                WHERE name = \(bind: name) AND version = \(bind: Int64(version))
                """).run()
        }
        return try await getModelVersion(name: name, version: version)
    }

    public func deleteModelVersion(name: String, version: Int) async throws {
        let time = now()
        try await database.transaction { db in
            try await Self.requireVersion(db, name, version)
            for table in ["registered_model_aliases", "model_version_tags", "model_versions"] {
                try await db.raw("DELETE FROM \(unsafeRaw: table) WHERE name = \(bind: name) AND version = \(bind: Int64(version))").run()
            }
            try await db.raw("UPDATE registered_models SET last_updated_timestamp = \(bind: time) WHERE name = \(bind: name)").run()
        }
    }

    public func transitionStage(name: String, version: Int, stage: ModelStage, archiveExisting: Bool) async throws -> ModelVersion {
        let time = now()
        try await database.transaction { db in
            try await Self.requireVersion(db, name, version)
            if archiveExisting, stage == .staging || stage == .production {
                try await db.raw("""
                    UPDATE model_versions SET current_stage = 'Archived', last_updated_timestamp = \(bind: time)
                    WHERE name = \(bind: name) AND current_stage = \(bind: stage.rawValue) AND version <> \(bind: Int64(version))
                    """).run()
            }
            try await db.raw("""
                UPDATE model_versions SET current_stage = \(bind: stage.rawValue), last_updated_timestamp = \(bind: time)
                WHERE name = \(bind: name) AND version = \(bind: Int64(version))
                """).run()
            try await db.raw("UPDATE registered_models SET last_updated_timestamp = \(bind: time) WHERE name = \(bind: name)").run()
        }
        return try await getModelVersion(name: name, version: version)
    }

    public func setModelVersionTag(name: String, version: Int, tag: KeyValue) async throws {
        try TrackingValidation.validateName(tag.key, kind: "tag")
        try await database.transaction { db in
            try await Self.requireVersion(db, name, version)
            try await db.raw("""
                INSERT INTO model_version_tags (name, version, key, value) VALUES (\(bind: name), \(bind: Int64(version)), \(bind: tag.key), \(bind: tag.value))
                ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value
                """).run()
        }
    }

    public func deleteModelVersionTag(name: String, version: Int, key: String) async throws {
        try await database.transaction { db in
            try await Self.requireVersion(db, name, version)
            try await db.raw("DELETE FROM model_version_tags WHERE name = \(bind: name) AND version = \(bind: Int64(version)) AND key = \(bind: key)").run()
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
            let column = c.key == "source_path" ? "source" : c.key
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
            try await Self.requireVersion(db, name, version)
            try await db.raw("""
                INSERT INTO registered_model_aliases (name, alias, version) VALUES (\(bind: name), \(bind: alias), \(bind: Int64(version)))
                ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version
                """).run()
            try await db.raw("UPDATE registered_models SET last_updated_timestamp = \(bind: time) WHERE name = \(bind: name)").run()
        }
    }

    public func deleteAlias(name: String, alias: String) async throws {
        let time = now()
        try await database.transaction { db in
            try await Self.requireModel(db, name)
            try await db.raw("DELETE FROM registered_model_aliases WHERE name = \(bind: name) AND alias = \(bind: alias)").run()
            try await db.raw("UPDATE registered_models SET last_updated_timestamp = \(bind: time) WHERE name = \(bind: name)").run()
        }
    }

    public func getModelVersion(name: String, alias: String) async throws -> ModelVersion {
        let version = try await database.withConnection { db in
            try await db.raw("SELECT version FROM registered_model_aliases WHERE name = \(bind: name) AND alias = \(bind: alias)").first()?
                .decode(column: "version", as: Int.self)
        }
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

    static func requireVersion(_ db: any SQLDatabase, _ name: String, _ version: Int) async throws {
        guard try await db.raw("SELECT 1 AS one FROM model_versions WHERE name = \(bind: name) AND version = \(bind: Int64(version))").first() != nil else {
            throw SlipwayError.notFound("Model Version (name=\(name), version=\(version)) not found")
        }
    }

    func fetchVersions(_ db: any SQLDatabase, where condition: SQLQueryString, withTagsAndAliases: Bool) async throws -> [ModelVersion] {
        let rows = try await db.raw("""
            SELECT name, version, creation_timestamp, last_updated_timestamp, description, user_id, current_stage, source, run_id, run_link, status, model_id
            FROM model_versions WHERE
            """ + " " + condition).all()
        var versions = try rows.map { row in
            ModelVersion(
                name: try row.decode(column: "name", as: String.self),
                version: try row.decode(column: "version", as: Int.self),
                creationTimestamp: try row.decode(column: "creation_timestamp", as: Int64.self),
                lastUpdatedTimestamp: try row.decode(column: "last_updated_timestamp", as: Int64.self),
                currentStage: ModelStage(rawValue: try row.decode(column: "current_stage", as: String.self)) ?? .none,
                description: try row.decode(column: "description", as: String.self),
                userID: try row.decode(column: "user_id", as: String.self),
                source: try row.decode(column: "source", as: String.self),
                runID: try row.decode(column: "run_id", as: String.self),
                runLink: try row.decode(column: "run_link", as: String.self),
                status: try row.decode(column: "status", as: String.self),
                modelID: try row.decode(column: "model_id", as: String?.self))
        }
        guard withTagsAndAliases, !versions.isEmpty else { return versions }
        let names = Array(Set(versions.map(\.name)))
        var index: [String: Int] = [:]
        for (i, v) in versions.enumerated() { index["\(v.name)\u{0}\(v.version)"] = i }
        for row in try await db.raw("SELECT name, version, key, value FROM model_version_tags WHERE name IN (\(binds: names)) ORDER BY key").all() {
            let key = "\(try row.decode(column: "name", as: String.self))\u{0}\(try row.decode(column: "version", as: Int.self))"
            guard let i = index[key] else { continue }
            versions[i].tags.append(KeyValue(key: try row.decode(column: "key", as: String.self), value: try row.decode(column: "value", as: String.self)))
        }
        for row in try await db.raw("SELECT name, version, alias FROM registered_model_aliases WHERE name IN (\(binds: names)) ORDER BY alias").all() {
            let key = "\(try row.decode(column: "name", as: String.self))\u{0}\(try row.decode(column: "version", as: Int.self))"
            guard let i = index[key] else { continue }
            versions[i].aliases.append(try row.decode(column: "alias", as: String.self))
        }
        return versions
    }
}
