import Hummingbird
import SlipwayCore
import SlipwayJobs

/// Scheduled jobs:
/// - `POST /api/v1/jobs` `{"name": "nightly-promote", "kind": "promote", "model": "churn", "schedule": "0 2 * * *"}`
///   (`"dataset"` for `evaluate` jobs; `"input"`, `"output_table"`, and optionally `"id"` and `"output_url"`
///   for `predict` jobs; `"rule"` for `monitor` jobs), `GET /api/v1/jobs`, `DELETE /api/v1/jobs/{name}`;
/// - `POST /api/v1/jobs/{name}/run`: run now (a predict job over `{"since", "until"}` when given);
///   `GET /api/v1/jobs/{name}/runs`: history.
///
/// With auth, a job is its model's to see: the list leaves out jobs of models the caller may not
/// read, and a job's history needs READ on its model. (Changing or running jobs needs `admin`.)
struct JobsController: Sendable {
    let jobs: any JobStore
    let runner: JobRunner
    let maxBodyBytes: Int
    var gate: PermissionGate? = nil

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.post("api/v1/jobs") { request, _ -> Response in
            let body = try await MLflowRequest.read(request, limit: maxBodyBytes).fields
            func text(_ key: String) throws(SlipwayError) -> String {
                guard let value = body[key]?.stringValue, !value.isEmpty else { throw .invalidParameter("'\(key)' is required") }
                return value
            }
            guard let kind = Job.Kind(rawValue: try text("kind")) else {
                throw SlipwayError.invalidParameter("'kind' must be one of \(Job.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let schedule = try CronSchedule(try text("schedule"))
            let time = WallClock.milliseconds()
            var argument = kind == .monitor ? body["rule"]?.stringValue : body["dataset"]?.stringValue
            if kind == .predict {
                let spec = PredictJobSpec(
                    input: body["input"]?.stringValue ?? "", sourceURL: body["source_url"]?.stringValue, query: body["query"]?.stringValue,
                    watermark: body["watermark"]?.stringValue, idColumn: body["id"]?.stringValue, outputTable: try text("output_table"),
                    outputURL: body["output_url"]?.stringValue)
                try spec.validate()
                argument = spec.json
            }
            let job = Job(
                name: try text("name"), kind: kind, model: try text("model"), argument: argument, schedule: schedule,
                nextRunAt: schedule.next(after: time), createdAt: time)
            try await jobs.createJob(job)
            return .json(Self.json(job), status: .created)
        }
        router.get("api/v1/jobs") { _, context -> Response in
            let all = try await jobs.listJobs()
            let shown = try await gate?.readableModels(all, context.identity, model: \.registeredModel) ?? all
            return .json(.object([("jobs", .array(shown.map(Self.json)))]))
        }
        router.delete("api/v1/jobs/:name") { _, context -> Response in
            try await jobs.deleteJob(name: try context.parameters.decoded("name"))
            return .emptyJSON
        }
        router.post("api/v1/jobs/:name/run") { request, context -> Response in
            let job = try await jobs.getJob(name: try context.parameters.decoded("name"))
            // An optional body {"since": ..., "until": ...} backfills a predict job over that range.
            let body = try await MLflowRequest.read(request, limit: maxBodyBytes).fields
            let since = body["since"]?.stringValue, until = body["until"]?.stringValue
            let backfill = since == nil && until == nil ? nil : Backfill(since: since, until: until)
            return .json(Self.json(try await runner.run(job, trigger: .manual, backfill: backfill)))
        }
        router.get("api/v1/jobs/:name/runs") { request, context -> Response in
            let name = try context.parameters.decoded("name")
            let job = try await jobs.getJob(name: name)
            try await gate?.require(context.identity, .read, .registeredModel, job.registeredModel)
            let query = MLflowRequest.queryFields(request.uri.query ?? "")
            let limit = try RegistryFeedController.integer(query, "max_results", default: 100, range: 1...1000)
            return .json(.object([("runs", .array(try await jobs.listRuns(job: name, maxResults: limit).map(Self.json)))]))
        }
    }

    static func json(_ job: Job) -> JSONValue { job.json }

    static func json(_ run: JobRun) -> JSONValue { run.json }
}
