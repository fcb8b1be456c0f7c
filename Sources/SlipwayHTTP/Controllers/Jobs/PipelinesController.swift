import Hummingbird
import SlipwayCore
import SlipwayJobs

/// Pipelines: jobs declared together in a file (`slipway pipelines apply pipeline.yaml` sends it as JSON):
/// - `PUT /api/v1/pipelines/{name}`: applies the document (`Pipeline`): creates, changes and removes
///   the pipeline's jobs as one, and answers what it did; `?dry_run=true` answers without applying;
/// - `GET /api/v1/pipelines`: the pipelines and their jobs' names;
/// - `GET /api/v1/pipelines/{name}`: the graph, each step in order with its last run;
/// - `DELETE /api/v1/pipelines/{name}`: removes its jobs.
struct PipelinesController: Sendable {
    let jobs: any JobStore
    let runner: JobRunner
    let maxBodyBytes: Int

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.put("api/v1/pipelines/:name") { request, context -> Response in
            let name = try context.parameters.decoded("name")
            let dryRun = MLflowRequest.queryFields(request.uri.query ?? "")["dry_run"]?.stringValue == "true"
            let pipeline = try Pipeline(json: try await MLflowRequest.jsonBody(request, limit: maxBodyBytes), at: WallClock.milliseconds())
            guard pipeline.name == name else {
                throw SlipwayError.invalidParameter("The document is pipeline '\(pipeline.name)', sent to /api/v1/pipelines/\(name)")
            }
            try PipelineGraph.checkCommands(pipeline, runner)
            if dryRun { return .json(try await PipelineGraph.plan(pipeline, jobs).json) }
            return .json(try await jobs.applyPipeline(pipeline, at: WallClock.milliseconds()).json)
        }
        router.get("api/v1/pipelines") { _, _ -> Response in
            .json(try await PipelineGraph.list(jobs))
        }
        router.get("api/v1/pipelines/:name") { _, context -> Response in
            .json(try await PipelineGraph.json(try context.parameters.decoded("name"), jobs))
        }
        router.delete("api/v1/pipelines/:name") { _, context -> Response in
            let name = try context.parameters.decoded("name")
            guard try await jobs.listJobs().contains(where: { $0.pipeline == name }) else { throw SlipwayError.notFound("No pipeline named '\(name)'") }
            return .json(try await jobs.applyPipeline(Pipeline(name: name, jobs: []), at: WallClock.milliseconds()).json)
        }
    }
}
