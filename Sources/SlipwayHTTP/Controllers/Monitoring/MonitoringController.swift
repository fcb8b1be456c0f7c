import Hummingbird
import SlipwayCore
import SlipwayJobs

/// Monitoring a model in production:
/// - `POST /api/v1/models/{name}/actuals` `{"actuals": [{"id": "...", "value": 3.2}, ...]}`: true
///   values that arrived later; answers how many matched a prediction and which did not;
/// - `GET /api/v1/models/{name}/performance?metric=rmse&window=1h&since=1d&until=&version=`: the
///   realized performance per window and version.
struct MonitoringController: Sendable {
    let actuals: any ActualsStore
    let performance: PerformanceMonitor
    let maxBodyBytes: Int

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.post("api/v1/models/:name/actuals") { request, context -> Response in
            let model = try context.parameters.require("name")
            let body = try await MLflowRequest.read(request, limit: maxBodyBytes).fields
            let given = try Self.actuals(body["actuals"])
            let receipt = try await actuals.add(model: model, actuals: given, receivedAt: WallClock.milliseconds())
            return .json(.object([
                ("received", .int(Int64(receipt.received))), ("matched", .int(Int64(receipt.matched))),
                ("unknown", .int(Int64(receipt.unknown))), ("unknown_ids", .array(receipt.unknownExamples.map(JSONValue.string))),
            ]))
        }
        router.get("api/v1/models/:name/performance") { request, context -> Response in
            let model = try context.parameters.require("name")
            let fields = MLflowRequest.queryFields(request.uri.query ?? "")
            let now = WallClock.milliseconds()
            guard let metric = fields["metric"]?.stringValue else { throw SlipwayError.invalidParameter("'metric' is required (rmse, accuracy, ...)") }
            let since = try fields["since"]?.stringValue.map { text throws(SlipwayError) in try TimeBound.parse(text, now: now, what: "since") } ?? now - 86_400_000
            let until = try fields["until"]?.stringValue.map { text throws(SlipwayError) in try TimeBound.parse(text, now: now, what: "until") } ?? now + 1
            var version: Int?
            if let text = fields["version"]?.stringValue {
                guard let number = Int(text) else { throw SlipwayError.invalidParameter("'version' must be an integer, got '\(text)'") }
                version = number
            }
            let report = try await performance.report(
                model: model, metric: metric, window: fields["window"]?.stringValue ?? "1h", since: since, until: until, version: version)
            return .json(report.json)
        }
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
