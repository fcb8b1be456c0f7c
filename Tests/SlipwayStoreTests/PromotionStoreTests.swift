import SlipwayCore
import SlipwayStore
import SlipwayTestSupport
import Testing

@Suite("Promotion store (SQLite and PostgreSQL)")
struct PromotionStoreTests {
    func record(_ id: String, action: String = "promote", time: Int64 = 10) -> PromotionRecord {
        PromotionRecord(id: id, model: "m", kind: .decision, actor: "test", time: time, action: action, fromVersion: nil, toVersion: 1, summary: "s", details: "{}")
    }

    @Test("Policies round-trip; apply moves aliases, stages, the record and events together, or nothing", arguments: TestBackend.available)
    func applyIsAtomic(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let registry = SQLRegistryStore(database: db)
            let events = SQLEventStore(database: db)
            let store = SQLPromotionStore(database: db, registry: registry, events: events)
            _ = try await registry.createRegisteredModel(name: "m", tags: [], description: nil)
            for run in ["r1", "r2"] {
                _ = try await registry.createModelVersion(CreateModelVersionRequest(name: "m", source: "runs:/\(run)/model", runID: run, modelID: nil, tags: []))
            }
            let policy = PromotionPolicy(modelName: "m", metric: "val_auc", minimumImprovement: .absolute(0.01), requiredTags: [KeyValue(key: "ok", value: "1")], mode: .approval)
            try await store.setPolicy(policy)
            #expect(try await store.getPolicy(name: "m") == policy)
            #expect(try await store.listPolicies() == [policy])
            await expectError(.resourceDoesNotExist) { try await store.setPolicy(PromotionPolicy(modelName: "nope", metric: "x")) }

            let event = Event(type: .modelPromoted, source: "/t", subject: "models/m/versions/1", time: 10, data: .object([]))
            try await store.apply(PromotionChange(
                model: "m", expectedProduction: nil, aliases: [("production", 1)], stages: [(1, .production)], record: record("a"), events: [event]))
            #expect(try await registry.getModelVersion(name: "m", alias: "production").version == 1)
            #expect(try await registry.getModelVersion(name: "m", version: 1).currentStage == .production)

            // production is v1 now: a change that expected nothing is refused whole.
            await expectError(.resourceConflict) {
                try await store.apply(PromotionChange(model: "m", expectedProduction: nil, aliases: [("production", 2)], record: record("b")))
            }
            // A change naming a version that does not exist rolls back its earlier steps too.
            await expectError(.resourceDoesNotExist) {
                try await store.apply(PromotionChange(
                    model: "m", expectedProduction: 1, aliases: [("production", 2), ("previous", 9)], stages: [(2, .production)], record: record("c"),
                    events: [Event(type: .modelPromoted, source: "/t", subject: "x", time: 11, data: .object([]))]))
            }
            #expect(try await registry.getModelVersion(name: "m", alias: "production").version == 1)
            #expect(try await registry.getModelVersion(name: "m", version: 2).currentStage == .none)
            #expect(try await store.listRecords(name: "m", maxResults: 10, pageToken: nil).items.map(\.id) == ["a"])
            #expect(try await events.listEvents(type: EventType.modelPromoted.rawValue, subject: nil, maxResults: 10, pageToken: nil).items.map(\.id) == [event.id])
            // The one alias the applied change set (production -> v1) was announced to MLflow's webhooks; the refused one's were not.
            let aliasEvents = try await events.listEvents(type: EventType.modelVersionAliasCreated.rawValue, subject: nil, maxResults: 10, pageToken: nil).items
            #expect(aliasEvents.count == 1 && aliasEvents.first?.data.contains("\"production\"") == true)

            try await store.apply(PromotionChange(model: "m", expectedProduction: 1, aliases: [("staging", 2)], record: record("d", action: "stage", time: 12)))
            try await store.apply(PromotionChange(model: "m", expectedProduction: 1, aliases: [("staging", nil)], record: record("e", action: "none", time: 13)))
            await expectError(.invalidParameterValue) { _ = try await registry.getModelVersion(name: "m", alias: "staging") }
            let page = try await store.listRecords(name: "m", maxResults: 2, pageToken: nil)
            #expect(page.items.map(\.id) == ["e", "d"] && page.nextPageToken != nil)
            try await store.deletePolicy(name: "m")
            #expect(try await store.getPolicy(name: "m") == nil)
        }
    }
}
