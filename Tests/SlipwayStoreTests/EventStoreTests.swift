import SlipwayCore
import SlipwayStore
import SlipwayTestSupport
import Testing

@Suite("Event log (SQLite and PostgreSQL)")
struct EventStoreTests {
    @Test("Record, filter by type and subject, newest first, pages, duplicate ids", arguments: TestBackend.available)
    func recordAndList(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let events = SQLEventStore(database: db)
            for i in 0..<5 {
                try await events.record(Event(
                    id: "e\(i)", type: i % 2 == 0 ? "ml.serving.swapped.v1" : "ml.serving.load_failed.v1", source: "/test",
                    subject: "models/\(i < 3 ? "churn" : "churner")/versions/\(i)", time: 1_000 + Int64(i), data: #"{"i":\#(i)}"#))
            }
            try await events.record(Event(id: "e0", type: "ml.serving.swapped.v1", source: "/test", subject: "x", time: 9, data: "{}"))  // kept once

            let all = try await events.listEvents(type: nil, subject: nil, maxResults: 10, pageToken: nil)
            #expect(all.items.map(\.id) == ["e4", "e3", "e2", "e1", "e0"] && all.nextPageToken == nil)
            #expect(all.items.last?.subject == "models/churn/versions/0")
            let failed = try await events.listEvents(type: "ml.serving.load_failed.v1", subject: nil, maxResults: 10, pageToken: nil)
            #expect(failed.items.map(\.id) == ["e3", "e1"])
            let churn = try await events.listEvents(type: nil, subject: "models/churn/", maxResults: 10, pageToken: nil)
            #expect(churn.items.map(\.id) == ["e2", "e1", "e0"])
            let exact = try await events.listEvents(type: nil, subject: "models/churner/versions/4", maxResults: 10, pageToken: nil)
            #expect(exact.items.map(\.id) == ["e4"])
            let first = try await events.listEvents(type: nil, subject: nil, maxResults: 2, pageToken: nil)
            let second = try await events.listEvents(type: nil, subject: nil, maxResults: 2, pageToken: first.nextPageToken)
            #expect(first.items.map(\.id) == ["e4", "e3"] && second.items.map(\.id) == ["e2", "e1"])

            await expectError(.invalidParameterValue) {
                try await events.record(Event(id: "bad", type: "t", source: "/s", subject: "", time: 1, data: "[1]"))
            }
            await expectError(.invalidParameterValue) {
                try await events.record(Event(id: "", type: "t", source: "/s", subject: "", time: 1, data: "{}"))
            }
        }
    }
}
