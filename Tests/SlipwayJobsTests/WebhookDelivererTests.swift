import Crypto
import Foundation
import Logging
import SlipwayCore
import SlipwayJobs
import SlipwayStore
import SlipwayTestSupport
import Synchronization
import Testing

@Suite("Webhook delivery (a fake receiver, a test clock, SQLite and PostgreSQL)")
struct WebhookDelivererTests {
    static let start: Int64 = 1_800_000_000_000

    struct Setup {
        let registry: SQLRegistryStore
        let events: SQLEventStore
        let deliveries: SQLDeliveryStore
        let webhooks: SQLWebhookStore
        let receiver: FakeReceiver
        let clock: TestClock
        let deliverer: WebhookDeliverer
    }

    func setup(_ database: StoreDatabase, maxAttempts: Int = 15) -> Setup {
        let clock = TestClock(Self.start)
        let receiver = FakeReceiver()
        let deliveries = SQLDeliveryStore(database: database, now: clock.now)
        return Setup(
            registry: SQLRegistryStore(database: database, now: clock.now), events: SQLEventStore(database: database), deliveries: deliveries,
            webhooks: SQLWebhookStore(database: database, now: clock.now), receiver: receiver, clock: clock,
            deliverer: WebhookDeliverer(
                store: deliveries, logger: quietLogger(), transport: receiver, retryBaseMilliseconds: 1000, retryCapMilliseconds: 4000,
                maxAttempts: maxAttempts, now: clock.now))
    }

    @Test("MLflow's registry events reach webhooks registered through MLflow's API in MLflow's format and signature; Slipway's events reach Slipway's", arguments: TestBackend.available)
    func bothWaysIn(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let s = setup(database)
            let mlflowHook = try await s.webhooks.createWebhook(
                name: "ci", description: "", url: "http://ci.example/hook",
                events: [try WebhookEvent(entity: "MODEL_VERSION", action: "CREATED"), try WebhookEvent(entity: "MODEL_VERSION_ALIAS", action: "CREATED")],
                secret: "mlflow-secret", status: .active)
            _ = try await s.webhooks.createWebhook(
                name: "off", description: "", url: "http://off.example/hook", events: [try WebhookEvent(entity: "MODEL_VERSION", action: "CREATED")],
                secret: nil, status: .disabled)
            let subscription = try await s.deliveries.createSubscription(url: "http://chat.example/hook", eventTypes: ["ml.model.*"], secret: "s", format: .cloudEvents)

            _ = try await s.registry.createRegisteredModel(name: "churn", tags: [], description: nil)
            _ = try await s.registry.createModelVersion(CreateModelVersionRequest(
                name: "churn", source: "models:/m-1", runID: "run1", description: "first", modelID: nil, tags: [KeyValue(key: "k", value: "v")]))
            try await s.registry.setAlias(name: "churn", alias: "champion", version: 1)
            try await s.registry.setModelVersionTag(name: "churn", version: 1, tag: KeyValue(key: "x", value: "y"))  // nobody wants it
            try await s.events.record(Event(type: .modelPromoted, source: "/test", subject: "models/churn/versions/1", time: Self.start, data: .object([("model_name", .string("churn"))])))

            await s.deliverer.deliverDue()
            let sent = s.receiver.requests
            #expect(sent.count == 3)
            let toMLflow = sent.filter { $0.url == mlflowHook.url }
            #expect(toMLflow.count == 2)
            let created = try #require(toMLflow.first { (try? JSONParser.parse($0.body))?["entity"] == .string("model_version") })
            let body = try JSONParser.parse(created.body)
            #expect(body["action"] == .string("created"))
            #expect(body["timestamp"]?.stringValue?.hasSuffix("+00:00") == true)
            #expect(body["data"] == .object([
                ("name", .string("churn")), ("version", .string("1")), ("source", .string("models:/m-1")), ("run_id", .string("run1")),
                ("tags", .object([("k", .string("v"))])), ("description", .string("first")),
            ]))
            #expect(created.verifies(secret: "mlflow-secret"))
            let alias = try #require(toMLflow.first { (try? JSONParser.parse($0.body))?["entity"] == .string("model_version_alias") })
            #expect(try JSONParser.parse(alias.body)["data"] == .object([("name", .string("churn")), ("alias", .string("champion")), ("version", .string("1"))]))

            let toChat = try #require(sent.first { $0.url == subscription.url })
            #expect(try JSONParser.parse(toChat.body)["type"] == .string("ml.model.promoted.v1"))
            #expect(toChat.verifies(secret: "s"))

            let listed = try await s.deliveries.listDeliveries(status: .delivered, eventID: nil, webhookID: nil, maxResults: 10, pageToken: nil).items
            #expect(listed.count == 3 && Set(listed.map(\.receiver)) == [.mlflow, .slipway])
        }
    }

    @Test("A receiver that fails is retried with capped backoff on the clock, then delivered; past the last attempt the delivery fails", arguments: TestBackend.available)
    func retries(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let s = setup(database, maxAttempts: 4)
            _ = try await s.deliveries.createSubscription(url: "http://flaky.example/hook", eventTypes: ["*"], secret: nil, format: .slack)
            s.receiver.answer(503)
            try await s.events.record(Event(type: .modelStaged, source: "/t", subject: "models/m/versions/2", time: Self.start, data: .object([])))

            var retryTimes: [Int64] = []
            for _ in 0..<3 {
                await s.deliverer.deliverDue()
                let delivery = try #require(try await s.deliveries.listDeliveries(status: nil, eventID: nil, webhookID: nil, maxResults: 1, pageToken: nil).items.first)
                #expect(delivery.status == .pending && delivery.lastStatusCode == 503)
                retryTimes.append(delivery.nextAttemptAt - s.clock.now())
                // Nothing is due before the backoff runs out.
                s.clock.advance(milliseconds: delivery.nextAttemptAt - s.clock.now() - 1)
                let before = s.receiver.requests.count
                await s.deliverer.deliverDue()
                #expect(s.receiver.requests.count == before)
                s.clock.advance(milliseconds: 1)
            }
            #expect(retryTimes == [1000, 2000, 4000])

            await s.deliverer.deliverDue()  // the 4th and last attempt
            let failed = try #require(try await s.deliveries.listDeliveries(status: nil, eventID: nil, webhookID: nil, maxResults: 1, pageToken: nil).items.first)
            #expect(failed.status == .failed && failed.attempts == 4)

            // Replayed, to a receiver that answers now.
            s.receiver.answer(204)
            _ = try await s.deliveries.replay(id: failed.id, now: s.clock.now())
            await s.deliverer.deliverDue()
            let delivered = try #require(try await s.deliveries.listDeliveries(status: nil, eventID: nil, webhookID: nil, maxResults: 1, pageToken: nil).items.first)
            #expect(delivered.status == .delivered && delivered.attempts == 5)
            #expect(Set(s.receiver.requests.map { $0.header("X-MLflow-Delivery-Id") }) == [failed.id])
        }
    }

    @Test("Deleting an MLflow webhook drops what it still had to receive")
    func deletedWebhook() async throws {
        try await TestBackend.sqlite.withDatabase { database in
            let s = setup(database)
            let hook = try await s.webhooks.createWebhook(
                name: "h", description: "", url: "http://h.example/", events: [try WebhookEvent(entity: "REGISTERED_MODEL", action: "CREATED")],
                secret: nil, status: .active)
            _ = try await s.registry.createRegisteredModel(name: "m", tags: [KeyValue(key: "team", value: "a")], description: "d")
            #expect(try await s.deliveries.listDeliveries(status: .pending, eventID: nil, webhookID: hook.id, maxResults: 10, pageToken: nil).items.count == 1)
            try await s.webhooks.deleteWebhook(id: hook.id)
            await s.deliverer.deliverDue()
            #expect(s.receiver.requests.isEmpty)
            #expect(try await s.deliveries.listDeliveries(status: nil, eventID: nil, webhookID: hook.id, maxResults: 10, pageToken: nil).items.isEmpty)
        }
    }

    @Test("MLflow's test endpoint sends the example payload, signed, and reports the answer")
    func testEndpoint() async throws {
        let receiver = FakeReceiver()
        receiver.answer(201, body: "thanks")
        let tester = MLflowWebhookTester(transport: receiver, now: { Self.start })
        let hook = Webhook(
            id: "w", name: "w", description: "", url: "http://t.example/", events: [try WebhookEvent(entity: "MODEL_VERSION_TAG", action: "SET")],
            status: .active, secret: "k", creationTimestamp: 0, lastUpdatedTimestamp: 0)
        let result = await tester.test(hook, event: nil)
        #expect(result.success && result.responseStatus == 201 && result.responseBody == "thanks")
        let request = try #require(receiver.requests.first)
        #expect(request.verifies(secret: "k"))
        let body = try JSONParser.parse(request.body)
        #expect(body["entity"] == .string("model_version_tag") && body["action"] == .string("set"))
        #expect(body["data"]?["key"] == .string("example_key"))

        receiver.answer(500)
        #expect(await tester.test(hook, event: nil).success == false)
        receiver.refuse()
        let refused = await tester.test(hook, event: try WebhookEvent(entity: "MODEL_VERSION", action: "CREATED"))
        #expect(!refused.success && refused.errorMessage?.hasPrefix("Failed to test webhook") == true && refused.responseStatus == nil)
    }
}

/// A webhook receiver in memory: records every request, answers what the test says.
final class FakeReceiver: WebhookTransport {
    struct Request: Sendable {
        var url: String
        var headers: [(String, String)]
        var body: [UInt8]

        func header(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }

        /// MLflow's documented check: HMAC-SHA256 of "<delivery id>.<timestamp>.<body>", base64, after `v1,`.
        func verifies(secret: String) -> Bool {
            guard let id = header("X-MLflow-Delivery-Id"), let timestamp = header("X-MLflow-Timestamp"), let signature = header("X-MLflow-Signature") else {
                return false
            }
            let mac = HMAC<SHA256>.authenticationCode(for: Array("\(id).\(timestamp).".utf8) + body, using: SymmetricKey(data: Array(secret.utf8)))
            return signature == "v1," + Data(mac).base64EncodedString()
        }
    }

    struct State {
        var requests: [Request] = []
        var status = 200
        var body = ""
        var refusing = false
    }

    let state = Mutex(State())

    var requests: [Request] { state.withLock { $0.requests } }
    func answer(_ status: Int, body: String = "") { state.withLock { $0.status = status; $0.body = body; $0.refusing = false } }
    func refuse() { state.withLock { $0.refusing = true } }

    func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> (status: Int, body: [UInt8]) {
        let (status, answer, refusing) = state.withLock { s in
            s.requests.append(Request(url: url, headers: headers, body: body))
            return (s.status, s.body, s.refusing)
        }
        if refusing { throw URLError(.cannotConnectToHost) }
        return (status, Array(answer.utf8))
    }
}
