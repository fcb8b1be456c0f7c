import Foundation
import Hummingbird
import NIOCore
import SlipwayCore
import SlipwayJobs

/// Scheduled jobs:
/// - `POST /api/v1/jobs` `{"name": "nightly-promote", "kind": "promote", "model": "churn", "schedule": "0 2 * * *",
///   "timezone": "Europe/Paris"}` (`"dataset"` for `evaluate` jobs; `"input"`, `"output_table"`, and optionally `"id"`
///   and `"output_url"` for `predict` jobs; `"rule"` for `monitor` jobs; `"command"` for `command` jobs, a
///   ``CommandSpec`` or the bare list `["python", "train.py"]`); instead of or beside a schedule, `"after": ["ingest"]`
///   and `"on": "ml.model.drift_detected.v1"`; `GET /api/v1/jobs`, `DELETE /api/v1/jobs/{name}`;
/// - `POST /api/v1/jobs/{name}/run`: run now (a predict job over `{"since", "until"}` when given);
///   `GET /api/v1/jobs/{name}/runs`: history; `GET /api/v1/jobs/{name}/runs/{id}/output`: a command run's whole output.
///
/// With auth, a job is its model's to see: the list leaves out jobs of models the caller may not
/// read, and a job's history needs READ on its model. (Changing or running jobs needs `admin`.)
struct JobsController: Sendable {
    let jobs: any JobStore
    let runner: JobRunner
    /// Where command jobs' whole outputs are kept.
    let artifacts: any ArtifactRepository
    let maxBodyBytes: Int
    var gate: PermissionGate? = nil

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.post("api/v1/jobs") { request, _ -> Response in
            let fields = try await MLflowRequest.read(request, limit: maxBodyBytes).fields.members
            let job = try Job(fields: Dictionary(fields, uniquingKeysWith: { $1 }), at: WallClock.milliseconds())
            if job.kind == .command { try runner.checkCommand(try CommandSpec(json: job.argument)) }
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
        addOutputRoute(to: router)
        router.get("api/v1/jobs/:name/runs") { request, context -> Response in
            let name = try context.parameters.decoded("name")
            let job = try await jobs.getJob(name: name)
            try await gate?.require(context.identity, .read, .registeredModel, job.registeredModel)
            let query = MLflowRequest.queryFields(request.uri.query ?? "")
            let limit = try RegistryFeedController.integer(query, "max_results", default: 100, range: 1...1000)
            return .json(.object([("runs", .array(try await jobs.listRuns(job: name, maxResults: limit).map(Self.json)))]))
        }
    }

    func addOutputRoute<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.get("api/v1/jobs/:name/runs/:id/output") { _, context -> Response in
            let name = try context.parameters.decoded("name")
            let job = try await jobs.getJob(name: name)
            try await gate?.require(context.identity, .read, .registeredModel, job.registeredModel)
            let run = try await jobs.getRun(id: try context.parameters.decoded("id"))
            guard run.job == name else { throw SlipwayError.notFound("Job '\(name)' has no run '\(run.id)'") }
            guard let stored = run.details?["output_artifact"]?.stringValue, let content = try await artifacts.open(try ArtifactPath(stored)) else {
                throw SlipwayError.notFound("Run '\(run.id)' of '\(name)' kept no output file")
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: try await ArtifactResponse.body(content, context: context))
        }
    }

    static func json(_ job: Job) -> JSONValue { job.json }

    static func json(_ run: JobRun) -> JSONValue { run.json }
}