import Foundation
import Hummingbird
import SlipwayCore
import SlipwayJobs
import SlipwayServing

/// The dashboard: server-rendered HTML, each page a view of its JSON twin.
/// - `/` the overview (`/api/v1/overview`), refreshed every 30 s. The links MLflow prints
///   (`/#/models/<name>/versions/<v>`) carry their path in the fragment, which never reaches the
///   server: a few lines of script on `/` follow them; without script `/` is the overview.
/// - `/ui/models/{name}` a model (`/api/v1/models/{name}/overview`).
/// - `/ui/jobs` the jobs and their runs (`/api/v1/jobs/overview`); its "Run now" buttons post to
///   `/ui/jobs/{name}/run`, which runs the job and sends the browser back to it.
/// - `/ui/experiments`, `/ui/experiments/{id}` (the runs table), `/ui/runs/{id}` and
///   `/ui/compare?runs=...` (several runs' metrics overlaid), below.
/// - The model page's actions, in `ModelActions.swift`.
struct DashboardController: Sendable {
    let overview: Overview
    let model: ModelOverview
    let jobs: JobsPage
    let runner: JobRunner
    let promoter: Promoter
    /// Per-model permissions (a server with auth): the overview and the jobs page show only the models the caller may read.
    var gate: PermissionGate? = nil
    let runs: RunsPages

    /// Sends MLflow's fragment links (a run, an experiment, a model or one of its versions) to their pages.
    static let fragmentRedirect = """
        (function () {
          function follow() {
            var h = location.hash, m;
            if ((m = h.match(/^#\\/models\\/([^\\/?]+)(?:\\/versions\\/(\\d+))?/))) location.replace('/ui/models/' + m[1] + (m[2] ? '#v' + m[2] : ''));
            else if ((m = h.match(/^#\\/experiments\\/[^\\/?]+\\/runs\\/([0-9a-zA-Z]+)/))) location.replace('/ui/runs/' + m[1]);
            else if ((m = h.match(/^#\\/experiments\\/([^\\/?]+)/))) location.replace('/ui/experiments/' + m[1]);
          }
          follow();
          window.addEventListener('hashchange', follow);
        })();
        """

    /// Whether the caller may see a model (or an experiment): READ or more under per-resource permissions.
    func visible<Context: SlipwayRequestContext>(_ context: Context, _ type: ResourceType = .registeredModel) -> @Sendable (String) async throws -> Bool {
        let (gate, identity) = (gate, context.identity)
        return { id in try await gate?.canRead(identity, type, id) ?? true }
    }

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.get("/") { _, context -> Response in
            let data = try await overview.json(now: WallClock.milliseconds(), visible: visible(context))
            return try Self.html(DashboardPages.render("overview", title: "Overview", data: data, refreshSeconds: 30, script: Self.fragmentRedirect))
        }
        router.get("api/v1/overview") { _, context -> Response in
            .json(try await overview.json(now: WallClock.milliseconds(), visible: visible(context)))
        }
        router.get("ui/models/:name") { request, context -> Response in
            let name = try Self.name(context)
            let data = try await model.json(name: name, metric: Self.metric(request), now: WallClock.milliseconds())
            return try Self.html(DashboardPages.render("model", title: name, data: data, raw: ModelOverview.charts(data)))
        }
        router.get("ui/jobs") { _, context -> Response in
            try Self.html(DashboardPages.render("jobs", title: "Jobs", data: try await jobs.json(now: WallClock.milliseconds(), visible: visible(context))))
        }
        router.get("api/v1/jobs/overview") { _, context -> Response in
            .json(try await jobs.json(now: WallClock.milliseconds(), visible: visible(context)))
        }
        router.post("ui/jobs/:name/run") { _, context -> Response in
            let name = try Self.name(context)
            let job = try await jobs.jobs.getJob(name: name)
            _ = try await runner.run(job, trigger: .manual)
            return Response(status: .seeOther, headers: [.location: "/ui/jobs#job-" + Overview.segment(name)])
        }
        addActionRoutes(to: router)
        addRunsRoutes(to: router)
        router.get("api/v1/models/:name/overview") { request, context -> Response in
            .json(try await model.json(name: try Self.name(context), metric: Self.metric(request), now: WallClock.milliseconds()))
        }
    }

    /// The realized metric a model page follows, from `?metric=` (else the page picks one).
    static func metric(_ request: Request) -> String? {
        MLflowRequest.queryFields(request.uri.query ?? "")["metric"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The model named in the path, percent-decoded (the pages link names as one encoded segment).
    static func name(_ context: some SlipwayRequestContext) throws -> String {
        try context.parameters.decoded("name")
    }

    static func html(_ page: String?) throws -> Response {
        guard let page else { throw SlipwayError(.internalError, "A dashboard template could not be rendered") }
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    /// The experiments list, an experiment's runs table and a run, with their twins (`RunsPages`).
    func addRunsRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.get("ui/experiments") { _, context -> Response in
            try Self.html(DashboardPages.render("experiments", title: "Experiments", data: try await runs.experiments(visible: visible(context, .experiment))))
        }
        router.get("api/v1/experiments/overview") { _, context -> Response in
            .json(try await runs.experiments(visible: visible(context, .experiment)))
        }
        router.get("ui/experiments/:id") { request, context -> Response in
            let data = try await Self.table(runs, request, context)
            return try Self.html(DashboardPages.render("runs", title: data["experiment"]?["name"]?.stringValue ?? "Runs", data: data))
        }
        router.get("api/v1/experiments/:id/table") { request, context -> Response in
            .json(try await Self.table(runs, request, context))
        }
        router.get("ui/runs/:id") { request, context -> Response in
            let data = try await runs.run(id: try context.parameters.decoded("id"))
            return try Self.html(DashboardPages.render(
                "run", title: data["run_name"]?.stringValue ?? "Run", data: data, raw: ["metric_charts": RunsPages.charts(data, byTime: Self.byTime(request))]))
        }
        router.get("api/v1/runs/:id/page") { _, context -> Response in
            .json(try await runs.run(id: try context.parameters.decoded("id")))
        }
        router.get("ui/compare") { request, _ -> Response in
            let ids = Self.runIDs(request)
            guard case .object(var fields) = try await runs.compare(ids: ids) else { return Response(status: .internalServerError) }
            fields.append(("query", .string(ids.map { "runs=" + Overview.segment($0) }.joined(separator: "&"))))
            let data = JSONValue.object(fields)
            return try Self.html(DashboardPages.render("compare", title: "Compare runs", data: data, raw: ["metric_charts": RunsPages.charts(data, byTime: Self.byTime(request))]))
        }
        router.get("api/v1/runs/compare") { request, _ -> Response in
            .json(try await runs.compare(ids: Self.runIDs(request)))
        }
    }

    /// `runs=A&runs=B` or `runs=A,B`.
    static func runIDs(_ request: Request) -> [String] {
        let value = MLflowRequest.queryFields(request.uri.query ?? "")["runs"]
        let texts = value?.arrayValue?.compactMap(\.stringValue) ?? value?.stringValue.map { [$0] } ?? []
        return texts.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
    }

    static func byTime(_ request: Request) -> Bool {
        MLflowRequest.queryFields(request.uri.query ?? "")["x"]?.stringValue == "time"
    }

    static func table(_ runs: RunsPages, _ request: Request, _ context: some SlipwayRequestContext) async throws -> JSONValue {
        let query = MLflowRequest.queryFields(request.uri.query ?? "")
        func text(_ key: String) -> String? { query[key]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        return try await runs.table(
            experiment: try context.parameters.decoded("id"), filter: text("filter"), orderBy: text("order_by"), columns: query["columns"]?.stringValue,
            pageToken: text("page_token"))
    }
}
