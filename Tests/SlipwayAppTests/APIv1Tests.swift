import Foundation
import HTTPTypes
import Hummingbird
import SlipwayCore
import SlipwayTestSupport
import Testing

/// Slipway's own API (`/api/v1`) through the app's real router, in this process.
@Suite("/api/v1 in process")
struct APIv1Tests {
    @Test("Policy, dry run, promote, decisions, rollback to a chosen version, and the events they wrote")
    func promotionFlow() async throws {
        try await InProcessServer.with { server in
            let v1 = try await server.registerVersion("churn", metric: "test_mae", value: 0.40)
            let v2 = try await server.registerVersion("churn", metric: "test_mae", value: 0.30)
            let v3 = try await server.registerVersion("churn", metric: "test_mae", value: 0.20)
            let policy = try await server.call(.put, "/api/v1/models/churn/policy", .object([("metric", .string("test_mae")), ("min_improvement", .number(0.05))]))
            #expect(policy.status == .ok && policy.json["direction"] == .string("lower"))

            let dry = try await server.call(.post, "/api/v1/models/churn/promote", .object([("dry_run", .bool(true))]))
            #expect(dry.json["applied"] == .bool(false) && dry.json["decision"]?["challenger"] == .string(String(v3)))
            #expect(try await server.call(.get, "/api/v1/events").json["events"]?.arrayValue?.contains { $0["type"]?.stringValue?.hasPrefix("ml.model.") == true } == false)

            let applied = try await server.call(.post, "/api/v1/models/churn/promote", .object([]))
            #expect(applied.json["applied"] == .bool(true) && applied.json["record"]?["actor"] == .string("api"))
            #expect(try await server.call(.get, "/api/2.0/mlflow/registered-models/alias?name=churn&alias=production").json["model_version"]?["version"] == .string(String(v3)))

            // Back to v1, chosen by number (no `previous` points at it).
            let rollback = try await server.call(.post, "/api/v1/models/churn/rollback", .object([("version", .string(String(v1))), ("actor", .string("alice"))]))
            #expect(rollback.status == .ok && rollback.json["record"]?["to_version"] == .string(String(v1)))
            #expect(rollback.json["record"]?["actor"] == .string("alice"))
            let aliases = try await server.call(.get, "/api/2.0/mlflow/registered-models/get?name=churn").json["registered_model"]?["aliases"]?.arrayValue ?? []
            #expect(Set(aliases.map { "\($0["alias"]!.stringValue!)=\($0["version"]!.stringValue!)" }) == ["production=\(v1)", "previous=\(v3)"])
            _ = v2

            let decisions = try await server.call(.get, "/api/v1/models/churn/decisions").json["decisions"]?.arrayValue ?? []
            #expect(decisions.map { $0["kind"]?.stringValue } == ["rollback", "decision"])

            let events = try await server.call(.get, "/api/v1/events?subject=models/churn/").json["events"]?.arrayValue ?? []
            let types = events.compactMap { $0["type"]?.stringValue }.filter { $0.hasPrefix("ml.model.") }
            #expect(types == ["ml.model.rolled_back.v1", "ml.model.archived.v1", "ml.model.promoted.v1"] || types == ["ml.model.archived.v1", "ml.model.rolled_back.v1", "ml.model.promoted.v1"])
            let promoted = try #require(events.first { $0["type"] == .string("ml.model.promoted.v1") })
            #expect(promoted["data"]?["model_name"] == .string("churn") && promoted["data"]?["version"] == .string(String(v3)))
            #expect(promoted["data"]?["stage"] == .string("Production") && promoted["data"]?["run_id"]?.stringValue?.isEmpty == false)
            #expect(promoted["data"]?["timestamp"] != nil)

            // Mistakes are 400s and 404s in MLflow's shape.
            #expect(try await server.call(.post, "/api/v1/models/churn/rollback", .object([("version", .string(String(v1)))])).status == .badRequest)
            #expect(try await server.call(.post, "/api/v1/models/churn/rollback", .object([("version", .string("99"))])).status == .notFound)
            #expect(try await server.call(.post, "/api/v1/models/churn/rollback", .object([("version", .string("x"))])).status == .badRequest)
            #expect(try await server.call(.get, "/api/v1/models/nope/policy").json["error_code"] == .string("RESOURCE_DOES_NOT_EXIST"))
        }
    }

    @Test("Moving production through MLflow's API on a model with a policy is a recorded manual promotion; without a policy it is MLflow's plain alias")
    func manualMoves() async throws {
        try await InProcessServer.with { server in
            let v1 = try await server.registerVersion("governed", metric: "rmse", value: 1)
            let v2 = try await server.registerVersion("governed", metric: "rmse", value: 2)
            let free = try await server.registerVersion("free", metric: "rmse", value: 1)
            try await server.call(.put, "/api/v1/models/governed/policy", .object([("metric", .string("rmse"))]))

            try await server.call(.post, "/api/2.0/mlflow/registered-models/alias", .object([
                ("name", .string("governed")), ("alias", .string("production")), ("version", .string(String(v1))),
            ]))
            try await server.call(.post, "/api/2.0/mlflow/registered-models/alias", .object([
                ("name", .string("governed")), ("alias", .string("production")), ("version", .string(String(v2))),
            ]))
            let records = try await server.call(.get, "/api/v1/models/governed/decisions").json["decisions"]?.arrayValue ?? []
            #expect(records.map { $0["kind"]?.stringValue } == ["manual", "manual"])
            #expect(records.first?["from_version"] == .string(String(v1)) && records.first?["to_version"] == .string(String(v2)))
            #expect(records.first?["actor"] == .string("api"))
            let v2Info = try await server.call(.get, "/api/2.0/mlflow/model-versions/get?name=governed&version=\(v2)").json["model_version"]
            #expect(v2Info?["current_stage"] == .string("Production"))
            let v1Info = try await server.call(.get, "/api/2.0/mlflow/model-versions/get?name=governed&version=\(v1)").json["model_version"]
            #expect(v1Info?["current_stage"] == .string("Archived") && v1Info?["aliases"] == .array([.string("previous")]))
            let promoted = try await server.call(.get, "/api/v1/events?type=ml.model.promoted.v1").json["events"]?.arrayValue ?? []
            #expect(promoted.count == 2 && promoted.first?["data"]?["via"] == .string("set_registered_model_alias"))

            // A stage change into Production is one too.
            try await server.call(.post, "/api/2.0/mlflow/model-versions/transition-stage", .object([
                ("name", .string("governed")), ("version", .string(String(v1))), ("stage", .string("Production")), ("archive_existing_versions", .bool(true)),
            ]))
            #expect(try await server.call(.get, "/api/2.0/mlflow/registered-models/alias?name=governed&alias=production").json["model_version"]?["version"] == .string(String(v1)))

            // Removing production is recorded.
            try await server.call(.delete, "/api/2.0/mlflow/registered-models/alias", .object([("name", .string("governed")), ("alias", .string("production"))]))
            let last = try await server.call(.get, "/api/v1/models/governed/decisions").json["decisions"]?.arrayValue?.first
            #expect(last?["action"] == .string("unset") && last?["from_version"] == .string(String(v1)))

            // archive_existing_versions archives every other version in Production, however many.
            let a = try await server.registerVersion("stages", metric: "rmse", value: 1)
            let b = try await server.registerVersion("stages", metric: "rmse", value: 1)
            let c = try await server.registerVersion("stages", metric: "rmse", value: 1)
            for v in [a, b] {
                try await server.call(.post, "/api/2.0/mlflow/model-versions/transition-stage", .object([
                    ("name", .string("stages")), ("version", .string(String(v))), ("stage", .string("Production")), ("archive_existing_versions", .bool(false)),
                ]))
            }
            try await server.call(.put, "/api/v1/models/stages/policy", .object([("metric", .string("rmse"))]))
            try await server.call(.post, "/api/2.0/mlflow/model-versions/transition-stage", .object([
                ("name", .string("stages")), ("version", .string(String(c))), ("stage", .string("Production")), ("archive_existing_versions", .bool(true)),
            ]))
            for (v, stage) in [(a, "Archived"), (b, "Archived"), (c, "Production")] {
                let info = try await server.call(.get, "/api/2.0/mlflow/model-versions/get?name=stages&version=\(v)").json["model_version"]
                #expect(info?["current_stage"] == .string(stage), "v\(v)")
            }

            // No policy: MLflow's alias, nothing else.
            try await server.call(.post, "/api/2.0/mlflow/registered-models/alias", .object([
                ("name", .string("free")), ("alias", .string("production")), ("version", .string(String(free))),
            ]))
            #expect(try await server.call(.get, "/api/v1/models/free/decisions").json["decisions"] == .array([]))
            let freeInfo = try await server.call(.get, "/api/2.0/mlflow/model-versions/get?name=free&version=\(free)").json["model_version"]
            #expect(freeInfo?["current_stage"] == .string("None"))
        }
    }

    @Test("Webhooks, deliveries, jobs and events: create, list, and the mistakes refused")
    func resources() async throws {
        try await InProcessServer.with { server in
            let hook = try await server.call(.post, "/api/v1/webhooks", .object([
                ("url", .string("http://127.0.0.1:9/hook")), ("events", .array([.string("ml.model.*")])), ("format", .string("slack")),
            ]))
            #expect(hook.status == .created && hook.json["events"] == .array([.string("ml.model.*")]))
            #expect(try await server.call(.get, "/api/v1/webhooks").json["webhooks"]?.arrayValue?.count == 1)
            #expect(try await server.call(.post, "/api/v1/webhooks", .object([("url", .string("ftp://x")), ("events", .array([.string("*")]))])).status == .badRequest)

            _ = try await server.registerVersion("churn", metric: "test_mae", value: 0.4)
            try await server.call(.put, "/api/v1/models/churn/policy", .object([("metric", .string("test_mae"))]))
            let job = try await server.call(.post, "/api/v1/jobs", .object([
                ("name", .string("nightly")), ("kind", .string("promote")), ("model", .string("churn")), ("schedule", .string("0 2 * * *")),
            ]))
            #expect(job.status == .created || job.status == .ok)
            let run = try await server.call(.post, "/api/v1/jobs/nightly/run")
            #expect(run.json["status"] == .string("succeeded"), "\(JSONWriter.string(run.json))")
            #expect(try await server.call(.get, "/api/v1/jobs/nightly/runs").json["runs"]?.arrayValue?.count == 1)
            #expect(try await server.call(.post, "/api/v1/jobs", .object([("name", .string("bad")), ("kind", .string("promote")), ("model", .string("churn")), ("schedule", .string("61 * * * *"))])).status == .badRequest)

            // The promotion queued a delivery for the slack hook (ml.model.promoted.v1 matches ml.model.*).
            let deliveries = try await server.call(.get, "/api/v1/deliveries").json["deliveries"]?.arrayValue ?? []
            #expect(deliveries.count == 1 && deliveries.first?["status"] == .string("pending"))

            // Replicas may post serving events only.
            let swapped = Event(type: .servingSwapped, source: "/replica", subject: "models/churn/versions/1", time: 1_800_000_000_000, data: .object([]))
            #expect(try await server.call(.post, "/api/v1/events", swapped.cloudEvent).status == .created)
            let forged = Event(type: .modelPromoted, source: "/replica", subject: "models/churn/versions/1", time: 1_800_000_000_000, data: .object([]))
            #expect(try await server.call(.post, "/api/v1/events", forged.cloudEvent).status == .badRequest)
            // A replica of an older Slipway still names its events `serving.*`: taken, under today's name.
            let legacy = Event(id: "old-1", type: "serving.load_failed", source: "/replica", subject: "models/churn/versions/2", time: 1_800_000_000_000, data: "{}")
            let posted = try await server.call(.post, "/api/v1/events", legacy.cloudEvent)
            #expect(posted.status == .created && posted.json["type"] == .string("ml.serving.load_failed.v1"))
            #expect(try await server.call(.post, "/api/v1/events", Event(id: "x", type: "registry.model_version.created", source: "/r", subject: "", time: 1, data: "{}").cloudEvent).status == .badRequest)
        }
    }

    @Test("A 500 tells the client a request id and nothing of the internals")
    func internalErrorsAreOpaque() async throws {
        try await InProcessServer.with { server in
            try await server.services.close()  // every store call now fails inside the server
            let response = try await server.response(.get, "/api/v1/policies")
            #expect(response.status == .internalServerError)
            let body = try JSONParser.parse(Array(response.body.readableBytesView))
            let id = try #require(response.headers[HTTPField.Name("X-Request-Id")!])
            #expect(body["error_code"] == .string("INTERNAL_ERROR"))
            let message = try #require(body["message"]?.stringValue)
            #expect(message.contains(id), "\(message)")
            #expect(!message.lowercased().contains("sqlite") && !message.contains("Error") && !message.lowercased().contains("closed"), "\(message)")
        }
    }
}
