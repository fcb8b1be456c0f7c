import Hummingbird
import NIOCore
import SlipwayCore
import SlipwayJobs

/// Evaluation datasets and evaluations:
/// - `PUT /api/v1/datasets/{name}?target=COLUMN` with the CSV as the body: the next version (or the
///   existing one with the same bytes); `GET /api/v1/datasets`;
/// - `POST /api/v1/models/{name}/versions/{version}/evaluate` `{"dataset": "holdout"}` (or `"holdout@2"`);
/// - `GET /api/v1/models/{name}/evaluations[?version=V]`.
struct EvaluationController: Sendable {
    let evaluator: Evaluator
    let evaluations: any EvaluationStore
    let maxBodyBytes: Int

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.put("api/v1/datasets/:name") { request, context -> Response in
            let query = MLflowRequest.queryFields(request.uri.query ?? "")
            guard let target = query["target"]?.stringValue, !target.isEmpty else {
                throw SlipwayError.invalidParameter("'target' (the column to predict) is required: PUT /api/v1/datasets/NAME?target=COLUMN")
            }
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: maxBodyBytes)
            } catch {
                throw HTTPError(.contentTooLarge, message: "Request body exceeds the limit of \(maxBodyBytes) bytes")
            }
            let (dataset, created) = try await evaluator.addDataset(
                name: try context.parameters.decoded("name"), csv: Array(buffer.readableBytesView), target: target)
            return .json(.object([("dataset", Self.json(dataset)), ("created", .bool(created))]), status: created ? .created : .ok)
        }
        router.get("api/v1/datasets") { _, _ -> Response in
            .json(.object([("datasets", .array(try await evaluations.listDatasets().map(Self.json)))]))
        }
        router.post("api/v1/models/:name/versions/:version/evaluate") { request, context -> Response in
            let body = try await MLflowRequest.read(request, limit: maxBodyBytes).fields
            guard let reference = body["dataset"]?.stringValue else { throw SlipwayError.invalidParameter("'dataset' (NAME or NAME@VERSION) is required") }
            let (dataset, datasetVersion) = try EvaluationDataset.parseReference(reference)
            guard let version = Int(try context.parameters.decoded("version")) else { throw SlipwayError.invalidParameter("Version must be an integer") }
            let evaluation = try await evaluator.evaluate(
                model: try context.parameters.decoded("name"), version: version, dataset: dataset, datasetVersion: datasetVersion)
            return .json(Self.json(evaluation))
        }
        router.get("api/v1/models/:name/evaluations") { request, context -> Response in
            let query = MLflowRequest.queryFields(request.uri.query ?? "")
            var version: Int?
            if let text = query["version"]?.stringValue {
                guard let number = Int(text) else { throw SlipwayError.invalidParameter("'version' must be an integer") }
                version = number
            }
            let list = try await evaluations.listEvaluations(model: try context.parameters.decoded("name"), version: version)
            return .json(.object([("evaluations", .array(list.map(Self.json)))]))
        }
    }

    static func json(_ d: EvaluationDataset) -> JSONValue { d.json }

    static func json(_ e: Evaluation) -> JSONValue { e.json }
}
