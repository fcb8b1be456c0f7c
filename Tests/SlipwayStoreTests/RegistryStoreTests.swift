import SlipwayCore
import SlipwayStore
import SlipwayTestSupport
import Testing

@Suite("Registry store (SQLite and PostgreSQL)")
struct RegistryStoreTests {
    func registry(_ db: StoreDatabase) -> SQLRegistryStore {
        let clock = SteppingClock()
        return SQLRegistryStore(database: db, now: { clock.now() })
    }

    func version(_ registry: SQLRegistryStore, _ name: String, run: String = "r1") async throws -> ModelVersion {
        try await registry.createModelVersion(CreateModelVersionRequest(name: name, source: "runs:/\(run)/model", runID: run, modelID: nil, tags: []))
    }

    @Test("Models and versions: create, duplicate, numbering, update, tags", arguments: TestBackend.available)
    func modelsAndVersions(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let registry = registry(db)
            _ = try await registry.createRegisteredModel(name: "iris", tags: [KeyValue(key: "team", value: "ml")], description: "demo")
            await expectError(.resourceAlreadyExists) { _ = try await registry.createRegisteredModel(name: "iris", tags: [], description: nil) }
            await expectError(.resourceDoesNotExist) { _ = try await version(registry, "nope") }
            let v1 = try await version(registry, "iris")
            let v2 = try await version(registry, "iris")
            #expect((v1.version, v2.version) == (1, 2))
            #expect(v1.currentStage == .none && v1.status == "READY")
            _ = try await registry.updateModelVersion(name: "iris", version: 1, description: "baseline")
            try await registry.setModelVersionTag(name: "iris", version: 1, tag: KeyValue(key: "validated", value: "true"))
            let fetched = try await registry.getModelVersion(name: "iris", version: 1)
            #expect(fetched.description == "baseline")
            #expect(fetched.tags == [KeyValue(key: "validated", value: "true")])
            try await registry.deleteModelVersionTag(name: "iris", version: 1, key: "validated")
            #expect(try await registry.getModelVersion(name: "iris", version: 1).tags.isEmpty)
            await expectError(.resourceDoesNotExist) { _ = try await registry.getModelVersion(name: "iris", version: 999) }
            let model = try await registry.getRegisteredModel(name: "iris")
            #expect(model.description == "demo")
            #expect(model.tags == [KeyValue(key: "team", value: "ml")])
            #expect(model.latestVersions.map(\.version) == [2])
        }
    }

    @Test("Aliases: set, move, read, delete; unknown alias is INVALID_PARAMETER_VALUE", arguments: TestBackend.available)
    func aliases(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let registry = registry(db)
            _ = try await registry.createRegisteredModel(name: "m", tags: [], description: nil)
            _ = try await version(registry, "m")
            _ = try await version(registry, "m")
            try await registry.setAlias(name: "m", alias: "production", version: 1)
            try await registry.setAlias(name: "m", alias: "challenger", version: 2)
            #expect(try await registry.getModelVersion(name: "m", alias: "production").version == 1)
            #expect(try await registry.getModelVersion(name: "m", version: 1).aliases == ["production"])
            try await registry.setAlias(name: "m", alias: "production", version: 2)
            #expect(try await registry.getModelVersion(name: "m", version: 2).aliases == ["challenger", "production"])
            #expect(try await registry.getRegisteredModel(name: "m").aliases == [ModelAlias(alias: "challenger", version: 2), ModelAlias(alias: "production", version: 2)])
            try await registry.deleteAlias(name: "m", alias: "challenger")
            await expectError(.invalidParameterValue) { _ = try await registry.getModelVersion(name: "m", alias: "challenger") }
            await expectError(.resourceDoesNotExist) { try await registry.setAlias(name: "m", alias: "x", version: 9) }
            await expectError(.invalidParameterValue) { try await registry.setAlias(name: "m", alias: "latest", version: 1) }
            await expectError(.invalidParameterValue) { try await registry.setAlias(name: "m", alias: "v3", version: 1) }
            // Deleting a version drops its aliases.
            try await registry.deleteModelVersion(name: "m", version: 2)
            await expectError(.invalidParameterValue) { _ = try await registry.getModelVersion(name: "m", alias: "production") }
        }
    }

    @Test("Stages: transition, archive existing, latest versions per stage", arguments: TestBackend.available)
    func stages(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let registry = registry(db)
            _ = try await registry.createRegisteredModel(name: "m", tags: [], description: nil)
            for _ in 0..<3 { _ = try await version(registry, "m") }
            _ = try await registry.transitionStage(name: "m", version: 1, stage: .production, archiveExisting: false)
            _ = try await registry.transitionStage(name: "m", version: 2, stage: .staging, archiveExisting: false)
            #expect(try await registry.latestVersions(name: "m", stages: [.staging]).map(\.version) == [2])
            #expect(try await registry.latestVersions(name: "m", stages: []).map(\.version) == [1, 2, 3])
            let promoted = try await registry.transitionStage(name: "m", version: 3, stage: .production, archiveExisting: true)
            #expect(promoted.currentStage == .production)
            #expect(try await registry.getModelVersion(name: "m", version: 1).currentStage == .archived)
            #expect(try await registry.getModelVersion(name: "m", version: 2).currentStage == .staging)
            #expect(try await registry.latestVersions(name: "m", stages: [.production]).map(\.version) == [3])
        }
    }

    @Test("Rename carries versions, tags and aliases; delete removes everything", arguments: TestBackend.available)
    func renameDelete(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let registry = registry(db)
            _ = try await registry.createRegisteredModel(name: "old", tags: [KeyValue(key: "t", value: "1")], description: nil)
            _ = try await version(registry, "old")
            try await registry.setAlias(name: "old", alias: "production", version: 1)
            _ = try await registry.createRegisteredModel(name: "taken", tags: [], description: nil)
            await expectError(.resourceAlreadyExists) { _ = try await registry.renameRegisteredModel(name: "old", newName: "taken") }
            let renamed = try await registry.renameRegisteredModel(name: "old", newName: "new")
            #expect(renamed.tags == [KeyValue(key: "t", value: "1")])
            #expect(try await registry.getModelVersion(name: "new", alias: "production").version == 1)
            await expectError(.resourceDoesNotExist) { _ = try await registry.getRegisteredModel(name: "old") }
            try await registry.deleteRegisteredModel(name: "new")
            await expectError(.resourceDoesNotExist) { _ = try await registry.getRegisteredModel(name: "new") }
            _ = try await registry.createRegisteredModel(name: "new", tags: [], description: nil)
            #expect(try await version(registry, "new").version == 1)
        }
    }

    @Test("Search: LIKE, the client's prompt tag filter, version search", arguments: TestBackend.available)
    func search(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let registry = registry(db)
            for name in ["iris-a", "iris-b", "wine"] { _ = try await registry.createRegisteredModel(name: name, tags: [], description: nil) }
            try await registry.setRegisteredModelTag(name: "iris-b", tag: KeyValue(key: "mlflow.prompt.is_prompt", value: "true"))
            let found = try await registry.searchRegisteredModels(try EntitySearch(.registeredModels, filter: "name LIKE 'iris%' AND tag.`mlflow.prompt.is_prompt` != 'true'", maxResults: 10, orderBy: ["name ASC"]))
            #expect(found.items.map(\.name) == ["iris-a"])
            let all = try await registry.searchRegisteredModels(try EntitySearch(.registeredModels, filter: "tag.`mlflow.prompt.is_prompt` != 'true'", maxResults: 100, orderBy: []))
            #expect(all.items.map(\.name) == ["iris-a", "wine"])
            _ = try await version(registry, "wine", run: "r1")
            _ = try await version(registry, "wine", run: "r2")
            let versions = try await registry.searchModelVersions(try EntitySearch(.modelVersions, filter: "name='wine'", maxResults: 100, orderBy: []))
            #expect(versions.items.map(\.version) == [2, 1])
            let byRun = try await registry.searchModelVersions(try EntitySearch(.modelVersions, filter: "run_id = 'r2'", maxResults: 100, orderBy: []))
            #expect(byRun.items.map(\.version) == [2])
        }
    }

    @Test("Concurrent version creation gives every writer its own number", arguments: TestBackend.available)
    func concurrentVersions(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let registry = registry(db)
            _ = try await registry.createRegisteredModel(name: "m", tags: [], description: nil)
            let versions = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<20 { group.addTask { try await version(registry, "m", run: "r\(i)").version } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(versions.sorted() == Array(1...20))
        }
    }
}

@Suite("Artifact repository")
struct ArtifactRepositoryTests {
    @Test("Writes atomically, records SHA-256, lists, deletes", arguments: TestBackend.available)
    func roundTrip(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let root = "/tmp/slipway-artifacts-test-" + IDGenerator.hex32()
            defer { try? FileManager.default.removeItem(atPath: root) }
            let repo = try FileArtifactRepository(root: root, database: db)
            let path = try ArtifactPath("1/run/artifacts/notes/readme.txt")
            let upload = try repo.beginUpload(path)
            try await upload.append(Array("hello".utf8))
            // Not visible until committed.
            #expect(try await repo.list(try ArtifactPath("1/run/artifacts/notes")) == [])
            let digest = try await repo.commit(upload)
            #expect(digest.sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
            #expect(digest.size == 5)
            #expect(try await repo.digest(path) == digest)
            #expect(try await repo.list(try ArtifactPath("1/run/artifacts")) == [ArtifactFile(path: "notes", isDirectory: true, size: nil)])
            #expect(try await repo.list(path) == nil)
            #expect(try await repo.localFile(path) != nil)
            #expect(try String(contentsOfFile: try await repo.localFile(path)!, encoding: .utf8) == "hello")
            try await repo.delete(try ArtifactPath("1/run"))
            #expect(try await repo.digest(path) == nil)
            #expect(try await repo.localFile(path) == nil)
        }
    }

    @Test("Deleting a directory forgets the digests under it and no others: '_' and '%' in a path are not wildcards", arguments: TestBackend.available)
    func deleteIsLiteral(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            try await withTemporaryDirectory { root in
                let repo = try FileArtifactRepository(root: root, database: db)
                let paths = ["a_b/x", "aXb/x", "a_bc/x", "a%b/x", "aYYb/x"]
                for text in paths {
                    let upload = try repo.beginUpload(try ArtifactPath(text))
                    try await upload.append(Array(text.utf8))
                    _ = try await repo.commit(upload)
                }
                try await repo.delete(try ArtifactPath("a_b"))
                try await repo.delete(try ArtifactPath("a%b"))
                for text in paths {
                    let gone = text == "a_b/x" || text == "a%b/x"
                    #expect((try await repo.digest(try ArtifactPath(text)) == nil) == gone, "\(text)")
                }
            }
        }
    }
}

import Foundation

@Suite("Webhook store (SQLite and PostgreSQL)")
struct WebhookStoreTests {
    @Test("Create, read, list, update, delete; validation", arguments: TestBackend.available)
    func lifecycle(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let store = SQLWebhookStore(database: db)
            let events = [try WebhookEvent(entity: "MODEL_VERSION", action: "CREATED"), try WebhookEvent(entity: "MODEL_VERSION_ALIAS", action: "CREATED")]
            let hook = try await store.createWebhook(name: "hook", description: "d", url: "https://127.0.0.1:9/h", events: events, secret: "s3cr3t", status: .disabled)
            #expect(try await store.getWebhook(id: hook.id) == hook)
            #expect(try await store.listWebhooks(maxResults: 10, pageToken: nil).items.map(\.id) == [hook.id])
            let updated = try await store.updateWebhook(id: hook.id, change: WebhookChange(description: "updated", status: .active))
            #expect(updated.description == "updated" && updated.status == .active && updated.events == events && updated.secret == "s3cr3t")
            try await store.deleteWebhook(id: hook.id)
            await expectError(.resourceDoesNotExist) { _ = try await store.getWebhook(id: hook.id) }
            await expectError(.invalidParameterValue) { _ = try await store.createWebhook(name: "x", description: "", url: "ftp://x", events: events, secret: nil, status: .active) }
            await expectError(.invalidParameterValue) { _ = try await store.createWebhook(name: "x", description: "", url: "http://x", events: [], secret: nil, status: .active) }
            #expect(throws: SlipwayError.self) { try WebhookEvent(entity: "RUN", action: "CREATED") }
        }
    }
}
