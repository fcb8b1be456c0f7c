import Hummingbird
import NIOCore
import SlipwayCore

/// `GET /openapi.json`: Slipway's own API (`/api/v1`, serving, operations) as an OpenAPI 3.1
/// document written by hand, completed (`OpenAPICompletion`) with the security schemes, the errors
/// every route can answer and every other route the router has, MLflow's among them.
struct OpenAPIController: Sendable {
    /// The routes of the router, without this one, when it was added last.
    let routes: [OpenAPICompletion.Route]

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        let all = routes + [OpenAPICompletion.Route(method: "GET", path: "/openapi.json")]
        let text = JSONWriter.string(OpenAPICompletion.complete(Self.parsed, routes: all))
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// The hand-written part, parsed.
    static var parsed: JSONValue {
        var text = document
        // Written here, checked by the tests: a parse failure is a bug of this file.
        return try! text.withUTF8 { bytes throws(SlipwayError) in try JSONParser.parse(UnsafeRawBufferPointer(bytes)) }
    }

    static let document = #"""
    {
      "openapi": "3.1.0",
      "info": {"title": "Slipway", "version": "1", "description": "Slipway's own API: promotion, evaluation, events and webhooks, jobs, serving. Errors are MLflow's JSON: {\"error_code\", \"message\"}."},
      "components": {
        "schemas": {
          "Error": {"type": "object", "required": ["error_code", "message"], "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}}},
          "MonitorRule": {"type": "object", "required": ["model"], "properties": {
            "model": {"type": "string"}, "reference": {"type": "string", "description": "drift reference dataset, NAME@VERSION"},
            "drift_share": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}, "metric": {"enum": ["mae", "rmse", "r2", "mape", "accuracy", "precision", "recall", "f1", "log_loss", "roc_auc"]},
            "max": {"type": "number"}, "min": {"type": "number"}, "min_labeled": {"type": "integer", "default": 100}, "min_rows": {"type": "integer", "default": 100},
            "window": {"type": "string", "default": "1d"}, "on_breach": {"type": "string", "description": "notify, rollback or job:NAME", "default": "notify"}}},
          "Policy": {"type": "object", "required": ["metric"], "properties": {
            "model": {"type": "string"}, "metric": {"type": "string"}, "source": {"enum": ["run", "evaluation"]},
            "dataset": {"type": "string", "description": "NAME or NAME@VERSION, for evaluation policies"},
            "direction": {"enum": ["lower", "higher"]}, "min_improvement": {"type": "number", "minimum": 0},
            "improvement": {"enum": ["relative", "absolute"]}, "lookback_days": {"type": "number", "exclusiveMinimum": 0},
            "required_tags": {"type": "object", "additionalProperties": {"type": "string"}}, "require_finished_run": {"type": "boolean"},
            "mode": {"enum": ["auto", "approval"]}}},
          "Decision": {"type": "object", "properties": {
            "model": {"type": "string"}, "action": {"enum": ["promote", "await_approval", "stage", "none"]}, "metric": {"type": "string"},
            "champion": {"type": ["string", "null"]}, "challenger": {"type": ["string", "null"]}, "reasons": {"type": "array", "items": {"type": "string"}},
            "considered": {"type": "array", "items": {"type": "object"}}}},
          "Record": {"type": "object", "properties": {
            "id": {"type": "string"}, "kind": {"enum": ["decision", "approval", "rollback", "manual"]}, "actor": {"type": "string"}, "time": {"type": "integer"},
            "action": {"type": "string"}, "from_version": {"type": ["string", "null"]}, "to_version": {"type": ["string", "null"]},
            "summary": {"type": "string"}, "details": {"type": "object"}}},
          "CloudEvent": {"type": "object", "required": ["specversion", "id", "source", "type", "data"], "properties": {
            "specversion": {"const": "1.0"}, "id": {"type": "string"}, "source": {"type": "string"}, "type": {"type": "string", "description": "ml.model.promoted.v1, ml.model.archived.v1, ml.model.rolled_back.v1, ml.model.staged.v1, ml.evaluation.completed.v1, ml.serving.swapped.v1, ml.serving.load_failed.v1, or MLflow's registry events as ml.registry.<entity>.<action>.v1"},
            "subject": {"type": "string"}, "time": {"type": "string", "format": "date-time"}, "data": {"type": "object"}}},
          "Webhook": {"type": "object", "required": ["url", "events"], "properties": {
            "url": {"type": "string", "format": "uri"}, "events": {"type": "array", "items": {"type": "string"}, "description": "event types or prefixes: ml.model.promoted.v1, ml.model.*, *"},
            "secret": {"type": "string", "writeOnly": true}, "format": {"enum": ["cloudevents", "slack"]}}},
          "Job": {"type": "object", "required": ["name", "kind", "model", "schedule"], "properties": {
            "name": {"type": "string"}, "kind": {"enum": ["promote", "evaluate", "predict"]}, "model": {"type": "string", "description": "predict: NAME@ALIAS too"},
            "schedule": {"type": "string", "description": "5-field cron, UTC"}, "dataset": {"type": "string", "description": "evaluate jobs"},
            "input": {"type": "string", "description": "predict jobs: a file or glob"}, "id": {"type": "string", "description": "predict jobs: the id column"},
            "output_table": {"type": "string", "description": "predict jobs"}, "output_url": {"type": "string", "description": "predict jobs: postgres://... or sqlite:PATH"}}},
          "PredictionRequest": {"description": "One row (an object keyed by feature name), or {\"instances\": [...]}, {\"inputs\": ...}, {\"dataframe_split\": {\"columns\", \"data\"}}, {\"dataframe_records\": [...]}", "type": ["object", "array"]},
          "PredictionResponse": {"type": "object", "properties": {"model": {"type": "string"}, "version": {"type": "string"}, "predictions": {"type": "array"}}}
        },
        "responses": {"Error": {"description": "A client error (4xx) or an unavailable model (503)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
        "parameters": {
          "name": {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}},
          "rule": {"name": "rule", "in": "path", "required": true, "schema": {"type": "string"}},
          "version": {"name": "version", "in": "path", "required": true, "schema": {"type": "integer"}},
          "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
          "max_results": {"name": "max_results", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
          "page_token": {"name": "page_token", "in": "query", "schema": {"type": "string"}}
        }
      },
      "paths": {
        "/api/v1/policies": {"get": {"summary": "Every promotion policy", "responses": {"200": {"description": "{\"policies\": [Policy]}"}}}},
        "/api/v1/models/{name}/policy": {
          "parameters": [{"$ref": "#/components/parameters/name"}],
          "get": {"summary": "A model's promotion policy", "responses": {"200": {"description": "The policy", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Policy"}}}}, "404": {"$ref": "#/components/responses/Error"}}},
          "put": {"summary": "Create or replace a model's promotion policy", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Policy"}}}}, "responses": {"200": {"description": "The policy as stored"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}},
          "delete": {"summary": "Remove a model's promotion policy", "responses": {"200": {"description": "{}"}, "404": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/models/{name}/promote": {
          "parameters": [{"$ref": "#/components/parameters/name"}],
          "post": {"summary": "Run the model's policy (dry_run: decide only)", "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"dry_run": {"type": "boolean"}, "actor": {"type": "string"}}}}}},
            "responses": {"200": {"description": "{\"decision\": Decision, \"applied\": bool, \"record\": Record}"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/models/{name}/approve": {
          "parameters": [{"$ref": "#/components/parameters/name"}],
          "post": {"summary": "Promote the version an approval-mode policy staged", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["version"], "properties": {"version": {"type": "string"}, "actor": {"type": "string"}}}}}},
            "responses": {"200": {"description": "{\"record\": Record}"}, "400": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/models/{name}/rollback": {
          "parameters": [{"$ref": "#/components/parameters/name"}],
          "post": {"summary": "Put the previous version (or the one named) back into production", "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"version": {"type": "string"}, "actor": {"type": "string"}}}}}},
            "responses": {"200": {"description": "{\"record\": Record}"}, "400": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/models/{name}/decisions": {
          "parameters": [{"$ref": "#/components/parameters/name"}, {"$ref": "#/components/parameters/max_results"}, {"$ref": "#/components/parameters/page_token"}],
          "get": {"summary": "The audit log, newest first", "responses": {"200": {"description": "{\"decisions\": [Record], \"next_page_token\"}"}}}
        },
        "/api/v1/datasets": {"get": {"summary": "Every evaluation dataset version", "responses": {"200": {"description": "{\"datasets\": [...]}"}}}},
        "/api/v1/datasets/{name}": {
          "parameters": [{"$ref": "#/components/parameters/name"}, {"name": "target", "in": "query", "required": true, "schema": {"type": "string"}}],
          "put": {"summary": "Store a CSV as the next dataset version (the same bytes return the existing one)", "requestBody": {"required": true, "content": {"text/csv": {}}},
            "responses": {"201": {"description": "A new version"}, "200": {"description": "Already stored"}, "400": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/models/{name}/versions/{version}/evaluate": {
          "parameters": [{"$ref": "#/components/parameters/name"}, {"$ref": "#/components/parameters/version"}],
          "post": {"summary": "Score a version on a dataset with the standard metrics", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["dataset"], "properties": {"dataset": {"type": "string"}}}}}},
            "responses": {"200": {"description": "The evaluation"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/models/{name}/evaluations": {
          "parameters": [{"$ref": "#/components/parameters/name"}, {"name": "version", "in": "query", "schema": {"type": "integer"}}],
          "get": {"summary": "A model's evaluations, newest first", "responses": {"200": {"description": "{\"evaluations\": [...]}"}}}
        },
        "/api/v1/models/{name}/predictions": {
          "parameters": [{"$ref": "#/components/parameters/name"}, {"name": "since", "in": "query", "schema": {"type": "string"}, "description": "ms since the epoch, a span back from now (15m, 1h, 7d) or ISO 8601"},
            {"name": "until", "in": "query", "schema": {"type": "string"}}, {"name": "version", "in": "query", "schema": {"type": "integer"}},
            {"name": "kind", "in": "query", "schema": {"enum": ["served", "batch"]}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000}},
            {"$ref": "#/components/parameters/page_token"}],
          "get": {"summary": "A model's predictions, newest first: served requests and batch prediction rows", "responses": {"200": {"description": "{\"predictions\": [...], \"next_page_token\"}"}, "400": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/models/{name}/actuals": {
          "parameters": [{"$ref": "#/components/parameters/name"}],
          "post": {"summary": "Record actuals (true values that arrive later) by request id or batch row id; a later value for an id replaces the earlier one",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["actuals"], "properties": {"actuals": {"type": "array", "items": {"type": "object", "required": ["id", "value"], "properties": {"id": {"type": "string"}, "value": {"type": "number"}}}}}}}}},
            "responses": {"200": {"description": "{\"received\", \"matched\", \"unknown\", \"unknown_ids\": [...]}"}, "400": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/models/{name}/performance": {
          "parameters": [{"$ref": "#/components/parameters/name"}, {"name": "metric", "in": "query", "required": true, "schema": {"enum": ["mae", "rmse", "r2", "mape", "accuracy", "precision", "recall", "f1", "log_loss", "roc_auc"]}},
            {"name": "window", "in": "query", "schema": {"type": "string", "default": "1h"}, "description": "15m, 1h, 1d"},
            {"name": "since", "in": "query", "schema": {"type": "string", "default": "1d"}}, {"name": "until", "in": "query", "schema": {"type": "string"}}, {"name": "version", "in": "query", "schema": {"type": "integer"}}],
          "get": {"summary": "Realized performance per window and version: predictions joined to actuals, beside each version's held-out evaluation", "responses": {"200": {"description": "{\"points\": [{\"start\", \"end\", \"version\", \"predictions\", \"labeled\", \"value\", \"evaluation\"}]}"}, "400": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/models/{name}/drift": {
          "parameters": [{"$ref": "#/components/parameters/name"}, {"name": "reference", "in": "query", "required": true, "schema": {"type": "string"}, "description": "a stored dataset, NAME@VERSION, or a past window of served rows, log:SINCE..UNTIL (log:14d..7d)"},
            {"name": "window", "in": "query", "schema": {"type": "string"}, "description": "back from now: 1h, 1d (or since/until)"}, {"name": "since", "in": "query", "schema": {"type": "string"}}, {"name": "until", "in": "query", "schema": {"type": "string"}},
            {"name": "version", "in": "query", "schema": {"type": "integer"}}, {"name": "method", "in": "query", "schema": {"enum": ["ks", "chisquare", "z", "wasserstein", "jensenshannon", "psi"]}},
            {"name": "threshold", "in": "query", "schema": {"type": "number"}}, {"name": "share", "in": "query", "schema": {"type": "number", "default": 0.5}}],
          "get": {"summary": "Data drift of the rows the model served in a window against a reference dataset (Evidently's data drift preset), the prediction as one more column; the result is stored", "responses": {"200": {"description": "{\"id\", \"drifted\", \"share\", \"columns\": [{\"column\", \"method\", \"score\", \"threshold\", \"drifted\"}]}"}, "400": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/models/{name}/drift/reports": {
          "parameters": [{"$ref": "#/components/parameters/name"}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
          "get": {"summary": "Stored drift results, newest first", "responses": {"200": {"description": "{\"reports\": [...]}"}}}
        },
        "/api/v1/overview": {
          "get": {"summary": "The dashboard's overview as JSON: every model's production, staging and previous versions, last change of production, serving status and monitoring; every job's last run",
            "responses": {"200": {"description": "{\"models\": [...], \"jobs\": [...]}"}}}
        },
        "/api/v1/jobs/overview": {
          "get": {"summary": "The dashboard's jobs page as JSON: every job with its 20 newest runs, jobs whose last run failed first",
            "responses": {"200": {"description": "{\"jobs\": [{\"name\", \"failing\", \"runs\": [...]}]}"}}}
        },
        "/api/v1/experiments/overview": {
          "get": {"summary": "The dashboard's experiments list as JSON", "responses": {"200": {"description": "{\"experiments\": [...]}"}}}
        },
        "/api/v1/experiments/{id}/table": {
          "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "filter", "in": "query", "schema": {"type": "string"}, "description": "MLflow's search filter"}, {"name": "order_by", "in": "query", "schema": {"type": "string"}},
            {"name": "columns", "in": "query", "schema": {"type": "string"}, "description": "metrics.KEY, params.KEY, tags.KEY, comma-separated"}, {"$ref": "#/components/parameters/page_token"}],
          "get": {"summary": "An experiment's runs table (100 a page) as the dashboard shows it", "responses": {"200": {"description": "{\"runs\", \"headers\", \"next_page_token\"}"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/runs/{id}/page": {
          "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
          "get": {"summary": "A run as the dashboard shows it: params, tags, each metric's history (steps, timestamps, values), the artifact tree with download links", "responses": {"200": {"description": "{\"params\", \"tags\", \"metrics\", \"artifacts\"}"}, "404": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/runs/compare": {
          "parameters": [{"name": "runs", "in": "query", "required": true, "schema": {"type": "array", "items": {"type": "string"}}, "explode": true, "description": "1 to 10 run ids, repeated or comma-separated"}],
          "get": {"summary": "Several runs' metric histories side by side, as the dashboard overlays them", "responses": {"200": {"description": "{\"runs\", \"metrics\": [{\"key\", \"runs\": [...]}]}"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/models/{name}/overview": {
          "parameters": [{"$ref": "#/components/parameters/name"}, {"name": "metric", "in": "query", "schema": {"type": "string"}, "description": "The realized metric to chart (rmse, accuracy, ...); by default a rule's, the policy's or the newest evaluation's"}],
          "get": {"summary": "A model's dashboard page as JSON: versions with their evaluations, decisions, events and webhook deliveries, requests and latency per hour, latency percentiles, realized performance and drift reports",
            "responses": {"200": {"description": "{\"versions\", \"decisions\", \"events\", ...}"}, "404": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/monitor/rules": {
          "get": {"summary": "Monitoring rules with their state (ok or breached) and last check", "parameters": [{"name": "model", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "{\"rules\": [MonitorRule]}"}}}
        },
        "/api/v1/monitor/rules/{rule}": {
          "parameters": [{"$ref": "#/components/parameters/rule"}],
          "get": {"summary": "A monitoring rule, its state and last check", "responses": {"200": {"description": "MonitorRule"}, "404": {"$ref": "#/components/responses/Error"}}},
          "put": {"summary": "Create or replace a monitoring rule: drift share and/or a realized metric's bound over a window, and the action on a breach",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MonitorRule"}}}},
            "responses": {"200": {"description": "The rule"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}},
          "delete": {"summary": "Remove a monitoring rule", "responses": {"200": {"description": "{}"}, "404": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/monitor/rules/{rule}/check": {
          "parameters": [{"$ref": "#/components/parameters/rule"}],
          "post": {"summary": "Check a rule now, as its monitor job does: a new breach emits its events and performs its action once",
            "responses": {"200": {"description": "{\"outcome\": \"ok|breached|still_breached|cleared|inconclusive\", \"drift\", \"performance\", \"gaps\", \"action\", \"action_failed\"}"}, "404": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/events": {
          "get": {"summary": "The event log, newest first", "parameters": [{"name": "type", "in": "query", "schema": {"type": "string"}}, {"name": "subject", "in": "query", "schema": {"type": "string"}, "description": "exact, or a prefix ending in /"}, {"$ref": "#/components/parameters/max_results"}, {"$ref": "#/components/parameters/page_token"}],
            "responses": {"200": {"description": "{\"events\": [CloudEvent]}"}}},
          "post": {"summary": "Record an ml.serving.* event (replicas report to their registry)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CloudEvent"}}}},
            "responses": {"201": {"description": "The event"}, "400": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/webhooks": {
          "get": {"summary": "Webhooks for Slipway's events", "responses": {"200": {"description": "{\"webhooks\": [...]}"}}},
          "post": {"summary": "Register a webhook", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Webhook"}}}},
            "responses": {"201": {"description": "The webhook (without its secret)"}, "400": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/webhooks/{id}": {"parameters": [{"$ref": "#/components/parameters/id"}], "delete": {"summary": "Remove a webhook", "responses": {"200": {"description": "{}"}, "404": {"$ref": "#/components/responses/Error"}}}},
        "/api/v1/deliveries": {
          "get": {"summary": "Deliveries, newest first", "parameters": [{"name": "status", "in": "query", "schema": {"enum": ["pending", "delivered", "failed"]}}, {"name": "event_id", "in": "query", "schema": {"type": "string"}}, {"name": "webhook_id", "in": "query", "schema": {"type": "string"}}, {"$ref": "#/components/parameters/max_results"}, {"$ref": "#/components/parameters/page_token"}],
            "responses": {"200": {"description": "{\"deliveries\": [...]}"}}}
        },
        "/api/v1/deliveries/{id}/replay": {"parameters": [{"$ref": "#/components/parameters/id"}], "post": {"summary": "Send a delivery again", "responses": {"200": {"description": "The delivery, pending"}, "404": {"$ref": "#/components/responses/Error"}}}},
        "/api/v1/jobs": {
          "get": {"summary": "Scheduled jobs", "responses": {"200": {"description": "{\"jobs\": [...]}"}}},
          "post": {"summary": "Add a job", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}}, "responses": {"201": {"description": "The job"}, "400": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/v1/jobs/{name}": {"parameters": [{"$ref": "#/components/parameters/name"}], "delete": {"summary": "Remove a job", "responses": {"200": {"description": "{}"}, "404": {"$ref": "#/components/responses/Error"}}}},
        "/api/v1/jobs/{name}/run": {"parameters": [{"$ref": "#/components/parameters/name"}], "post": {"summary": "Run a job now", "responses": {"200": {"description": "The run"}, "404": {"$ref": "#/components/responses/Error"}}}},
        "/api/v1/jobs/{name}/runs": {"parameters": [{"$ref": "#/components/parameters/name"}, {"$ref": "#/components/parameters/max_results"}], "get": {"summary": "A job's runs, newest first", "responses": {"200": {"description": "{\"runs\": [...]}"}, "404": {"$ref": "#/components/responses/Error"}}}},
        "/api/v1/registry/changes": {"get": {"summary": "Long poll: answers when the registry changes after a sequence number", "parameters": [{"name": "after", "in": "query", "schema": {"type": "integer"}}, {"name": "timeout_ms", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 60000}}], "responses": {"200": {"description": "{\"sequence\": N}"}}}},
        "/api/v1/models/{name}/versions/{version}/files": {"parameters": [{"$ref": "#/components/parameters/name"}, {"$ref": "#/components/parameters/version"}], "get": {"summary": "A version's files with their SHA-256, checked", "responses": {"200": {"description": "{\"artifact_path\", \"digest\", \"files\": [{\"path\", \"sha256\", \"size\"}]}"}, "404": {"$ref": "#/components/responses/Error"}}}},
        "/models": {"get": {"summary": "Every served model", "responses": {"200": {"description": "{\"models\": [...]}"}}}},
        "/models/{name}": {"parameters": [{"$ref": "#/components/parameters/name"}], "get": {"summary": "A served model: version, alias, run, digest, metrics, last failure", "responses": {"200": {"description": "Status"}, "404": {"$ref": "#/components/responses/Error"}}}},
        "/models/{name}/predict": {"parameters": [{"$ref": "#/components/parameters/name"}], "post": {"summary": "Predict with the version behind the alias", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictionRequest"}}}}, "responses": {"200": {"description": "Predictions", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictionResponse"}}}}, "400": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}},
        "/models/{name}/invocations": {"parameters": [{"$ref": "#/components/parameters/name"}], "post": {"summary": "MLflow's /invocations formats", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictionRequest"}}}}, "responses": {"200": {"description": "Predictions"}, "400": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}},
        "/predict": {"post": {"summary": "Predict with the first served model", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictionRequest"}}}}, "responses": {"200": {"description": "Predictions"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
        "/health": {"get": {"summary": "The process answers", "responses": {"200": {"description": "OK"}}}},
        "/ready": {"get": {"summary": "Every served model has a version loaded", "responses": {"200": {"description": "Ready"}, "503": {"description": "Waiting for models"}}}},
        "/metrics": {"get": {"summary": "Prometheus text format", "responses": {"200": {"description": "Metrics", "content": {"text/plain": {}}}}}}
      }
    }
    """#
}
