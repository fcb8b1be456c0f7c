import Hummingbird
import SlipwayCore

/// `runs/*` and `metrics/get-history`: create, get, update, delete, restore, log (param, metric,
/// batch, inputs, outputs), tags, search.
struct RunsController: Sendable {
    let store: any TrackingStore
    let now: @Sendable () -> Int64

    func addRoutes<Context>(to routes: MLflowRoutes<Context>) {
        routes.add(.post, "runs/create") { r in
            let run = try await store.createRun(CreateRunRequest(
                experimentID: try r.string("experiment_id").flatMap { $0.isEmpty ? nil : $0 } ?? Experiment.defaultID,
                userID: try r.string("user_id") ?? "",
                runName: try r.string("run_name"),
                startTime: try r.int64("start_time") ?? now(),
                tags: try r.keyValues("tags")))
            return .object([("run", Wire.run(run, includeOutputs: false))])
        }
        routes.add(.get, "runs/get") { r in
            .object([("run", Wire.run(try await store.getRun(id: try r.runID())))])
        }
        routes.add(.post, "runs/update") { r in
            var status: RunStatus?
            if let raw = try r.string("status"), !raw.isEmpty {
                guard let parsed = RunStatus(rawValue: raw) else {
                    throw SlipwayError.invalidParameter("Invalid value '\(raw)' for parameter 'status': expected one of \(RunStatus.allCases.map(\.rawValue))")
                }
                status = parsed
            }
            let info = try await store.updateRun(id: try r.runID(), status: status, endTime: try r.int64("end_time"), runName: try r.string("run_name"))
            return .object([("run_info", Wire.runInfo(info))])
        }
        routes.add(.post, "runs/delete") { r in
            try await store.setRunLifecycle(id: try r.runID(), .deleted)
            return .object([])
        }
        routes.add(.post, "runs/restore") { r in
            try await store.setRunLifecycle(id: try r.runID(), .active)
            return .object([])
        }
        routes.add(.post, "runs/log-parameter") { r in
            try await store.logParam(runID: try r.runID(), KeyValue(key: try r.requiredString("key"), value: try r.string("value") ?? ""))
            return .object([])
        }
        routes.add(.post, "runs/log-metric") { r in
            try await store.logMetric(runID: try r.runID(), try metric(r))
            return .object([])
        }
        routes.add(.post, "runs/set-tag") { r in
            try await store.setTag(runID: try r.runID(), KeyValue(key: try r.requiredString("key"), value: try r.string("value") ?? ""))
            return .object([])
        }
        routes.add(.post, "runs/delete-tag") { r in
            try await store.deleteTag(runID: try r.runID(), key: try r.requiredString("key"))
            return .object([])
        }
        routes.add(.post, "runs/log-batch") { r in
            let metrics = try r.objects("metrics").map { item throws(SlipwayError) in try metric(MLflowRequest(object: item)) }
            try await store.logBatch(runID: try r.runID(), metrics: metrics, params: try r.keyValues("params"), tags: try r.keyValues("tags"))
            return .object([])
        }
        routes.add(.post, "runs/log-inputs") { r in
            let datasets = try r.objects("datasets").map { item throws(SlipwayError) -> DatasetInput in
                let input = MLflowRequest(object: item)
                guard let datasetJSON = input.fields["dataset"] else { throw input.missing("dataset") }
                let d = MLflowRequest(object: datasetJSON)
                return DatasetInput(
                    dataset: Dataset(
                        name: try d.requiredString("name"), digest: try d.requiredString("digest"),
                        sourceType: try d.string("source_type") ?? "", source: try d.string("source") ?? "",
                        schema: try d.string("schema"), profile: try d.string("profile")),
                    tags: try input.keyValues("tags"))
            }
            let models = try r.objects("models").map { item throws(SlipwayError) in try MLflowRequest(object: item).requiredString("model_id") }
            try await store.logInputs(runID: try r.runID(), datasets: datasets, models: models)
            return .object([])
        }
        routes.add(.post, "runs/outputs") { r in
            let outputs = try r.objects("models").map { item throws(SlipwayError) -> ModelOutput in
                let m = MLflowRequest(object: item)
                return ModelOutput(modelID: try m.requiredString("model_id"), step: try m.int64("step") ?? 0)
            }
            try await store.logOutputs(runID: try r.runID(), models: outputs)
            return .object([])
        }
        routes.add(.post, "runs/log-model") { r in
            // The pre-3.0 way to record a model: kept as the `mlflow.log-model.history` tag.
            let runID = try r.runID()
            let model = try r.requiredString("model_json")
            let existing = try await store.getRun(id: runID).tags.first(where: { $0.key == "mlflow.log-model.history" })?.value
            var history = (try? JSONParser.parse(existing ?? "[]"))?.arrayValue ?? []
            history.append((try? JSONParser.parse(model)) ?? .string(model))
            try await store.setTag(runID: runID, KeyValue(key: "mlflow.log-model.history", value: JSONWriter.string(.array(history))))
            return .object([])
        }
        routes.add(.post, "runs/search") { r in
            let search = try RunSearch(
                experimentIDs: try r.strings("experiment_ids"), filter: try r.string("filter"),
                viewType: try viewType(r, "run_view_type"), maxResults: Int(try r.int64("max_results") ?? 1000),
                orderBy: try r.strings("order_by"), pageToken: try r.string("page_token"))
            return Wire.runsPage(try await store.searchRuns(search, encoding: Wire.runEncoding, Wire.runBytes))
        }
        routes.add(.get, "metrics/get-history") { r in
            let page = try await store.metricHistory(
                runID: try r.runID(), key: try r.requiredString("metric_key"),
                maxResults: Int(try r.int64("max_results") ?? 25_000), pageToken: try r.string("page_token"))
            var o = JSONObjectBuilder()
            if !page.items.isEmpty { o.add("metrics", Wire.metrics(page.items)) }
            o.add("next_page_token", ifPresent: page.nextPageToken)
            return o.value
        }
    }

    /// A metric from a `log-metric` request or one element of `log-batch`'s `metrics`.
    func metric(_ r: MLflowRequest) throws(SlipwayError) -> Metric {
        guard let value = try r.double("value") else { throw r.missing("value") }
        return Metric(
            key: try r.requiredString("key"), value: value, timestamp: try r.int64("timestamp") ?? now(),
            step: try r.int64("step") ?? 0, modelID: try r.string("model_id").flatMap { $0.isEmpty ? nil : $0 },
            datasetName: try r.string("dataset_name"), datasetDigest: try r.string("dataset_digest"))
    }
}
