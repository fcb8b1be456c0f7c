import Hummingbird
import SlipwayCore
import SlipwayJobs

/// Monitoring a model in production:
/// - `POST /api/v1/models/{name}/actuals` `{"actuals": [{"id": "...", "value": 3.2}, ...]}`: true
///   values that arrived later; answers how many matched a prediction and which did not;
/// - `GET /api/v1/models/{name}/performance?metric=rmse&window=1h&since=1d&until=&version=`: the
///   realized performance per window and version;
/// - `GET /api/v1/models/{name}/drift?reference=holdout@1&window=1d` (or `since`/`until`, `version`,
///   `method`, `threshold`, `share`): the served rows' drift against a reference dataset, stored;
///   `GET /api/v1/models/{name}/drift/reports?limit=`: the stored results, newest first.
struct MonitoringController: Sendable {
    let actuals: any ActualsStore
    let performance: PerformanceMonitor
    let drift: DriftMonitor
    let reports: any DriftReportStore
    let metrics: MonitoringMetrics
    let maxBodyBytes: Int

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.post("api/v1/models/:name/actuals") { request, context -> Response in
            let model = try context.parameters.decoded("name")
            let body = try await MLflowRequest.read(request, limit: maxBodyBytes).fields
            let given = try Self.actuals(body["actuals"])
            let receipt = try await actuals.add(model: model, actuals: given, receivedAt: WallClock.milliseconds())
            return .json(.object([
                ("received", .int(Int64(receipt.received))), ("matched", .int(Int64(receipt.matched))),
                ("unknown", .int(Int64(receipt.unknown))), ("unknown_ids", .array(receipt.unknownExamples.map(JSONValue.string))),
            ]))
        }
        router.get("api/v1/models/:name/performance") { request, context -> Response in
            let model = try context.parameters.decoded("name")
            let fields = MLflowRequest.queryFields(request.uri.query ?? "")
            let now = WallClock.milliseconds()
            guard let metric = fields["metric"]?.stringValue else { throw SlipwayError.invalidParameter("'metric' is required (rmse, accuracy, ...)") }
            let since = try fields["since"]?.stringValue.map { text throws(SlipwayError) in try TimeBound.parse(text, now: now, what: "since") } ?? now - 86_400_000
            let until = try fields["until"]?.stringValue.map { text throws(SlipwayError) in try TimeBound.parse(text, now: now, what: "until") } ?? now + 1
            let report = try await performance.report(
                model: model, metric: metric, window: fields["window"]?.stringValue ?? "1h", since: since, until: until, version: try Self.version(fields))
            metrics.record(report)
            return .json(report.json)
        }
        router.get("api/v1/models/:name/drift") { request, context -> Response in
            let model = try context.parameters.decoded("name")
            let fields = MLflowRequest.queryFields(request.uri.query ?? "")
            let now = WallClock.milliseconds()
            guard let reference = fields["reference"]?.stringValue else { throw SlipwayError.invalidParameter("'reference' is required: a dataset, NAME@VERSION") }
            let (since, until) = try Self.window(fields, now: now)
            let method = try fields["method"]?.stringValue.map { text throws(SlipwayError) -> DriftMethod in
                guard let method = DriftMethod(rawValue: text) else {
                    throw .invalidParameter("'method' must be one of \(DriftMethod.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return method
            }
            let (result, id) = try await drift.run(
                model: model, reference: reference, version: try Self.version(fields), since: since, until: until, method: method,
                threshold: try Self.number(fields, "threshold"), share: try Self.number(fields, "share") ?? 0.5)
            metrics.record(result)
            guard case .object(let members) = result.json else { return .json(result.json) }
            return .json(.object([("id", .string(id))] + members))
        }
        router.get("api/v1/models/:name/drift/reports") { request, context -> Response in
            let model = try context.parameters.decoded("name")
            let fields = MLflowRequest.queryFields(request.uri.query ?? "")
            let limit = try RegistryFeedController.integer(fields, "limit", default: 20, range: 1...1000)
            let stored = try await reports.list(model: model, limit: limit)
            return .json(.object([("reports", .array(stored.map { r in
                var members: [(String, JSONValue)] = [("id", .string(r.id)), ("created_at", .int(r.createdAt))]
                if case .object(let body)? = try? JSONParser.parse(r.report) { members += body }
                return .object(members)
            }))]))
        }
    }

    /// `window` (a length back from now) or `since`/`until`; the last day by default.
    static func window(_ fields: [String: JSONValue], now: Int64) throws(SlipwayError) -> (Int64, Int64) {
        let until = try fields["until"]?.stringValue.map { text throws(SlipwayError) in try TimeBound.parse(text, now: now, what: "until") } ?? now + 1
        if let window = fields["window"]?.stringValue {
            guard fields["since"] == nil else { throw .invalidParameter("Give 'window' or 'since', not both") }
            return (until - (try RealizedPerformance.window(window)), until)
        }
        let since = try fields["since"]?.stringValue.map { text throws(SlipwayError) in try TimeBound.parse(text, now: now, what: "since") } ?? until - 86_400_000
        return (since, until)
    }

    static func version(_ fields: [String: JSONValue]) throws(SlipwayError) -> Int? {
        guard let text = fields["version"]?.stringValue else { return nil }
        guard let number = Int(text) else { throw .invalidParameter("'version' must be an integer, got '\(text)'") }
        return number
    }

    static func number(_ fields: [String: JSONValue], _ name: String) throws(SlipwayError) -> Double? {
        guard let text = fields[name]?.stringValue else { return nil }
        guard let value = Double(text), value.isFinite else { throw .invalidParameter("'\(name)' must be a number, got '\(text)'") }
        return value
    }

    /// The `actuals` array of a request body. - Throws: INVALID_PARAMETER_VALUE naming the first bad item.
    static func actuals(_ value: JSONValue?) throws(SlipwayError) -> [Actual] {
        guard case .array(let items)? = value else { throw .invalidParameter("'actuals' (an array of {\"id\": ..., \"value\": ...}) is required") }
        var actuals: [Actual] = []
        actuals.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let id: String
            switch item["id"] {
            case .string(let text)?: id = text
            case .number(let number)? where number == number.rounded() && abs(number) < 1e15: id = String(Int64(number))
            default: throw .invalidParameter("actuals[\(index)]: 'id' (a string) is required")
            }
            guard case .number(let number)? = item["value"], number.isFinite else {
                throw .invalidParameter("actuals[\(index)] (id '\(id)'): 'value' must be a number")
            }
            actuals.append(Actual(id: id, value: number))
        }
        return actuals
    }
}
