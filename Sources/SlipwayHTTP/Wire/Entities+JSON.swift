public import SlipwayCore

/// MLflow's proto3 JSON shapes for Slipway's entities: snake_case names, int64 as numbers,
/// ids as strings, empty repeated fields left out.
public enum Wire {
    public static func keyValues(_ items: [KeyValue]) -> [JSONValue] {
        items.map { .object([("key", .string($0.key)), ("value", .string($0.value))]) }
    }

    public static func experiment(_ e: Experiment) -> JSONValue {
        var o = JSONObjectBuilder()
        o.add("experiment_id", e.id)
        o.add("name", e.name)
        o.add("artifact_location", e.artifactLocation)
        o.add("lifecycle_stage", e.lifecycleStage.rawValue)
        o.add("last_update_time", e.lastUpdateTime)
        o.add("creation_time", e.creationTime)
        o.add("tags", nonEmpty: keyValues(e.tags))
        o.add("workspace", "default")
        return o.value
    }

    public static func runInfo(_ info: RunInfo) -> JSONValue {
        var o = JSONObjectBuilder()
        o.add("run_uuid", info.runID)
        o.add("experiment_id", info.experimentID)
        o.add("run_name", info.runName)
        o.add("user_id", info.userID)
        o.add("status", info.status.rawValue)
        o.add("start_time", info.startTime)
        o.add("end_time", ifPresent: info.endTime)
        o.add("artifact_uri", info.artifactURI)
        o.add("lifecycle_stage", info.lifecycleStage.rawValue)
        o.add("run_id", info.runID)
        return o.value
    }

    public static func metric(_ m: Metric, withContext: Bool = false) -> JSONValue {
        var o = JSONObjectBuilder()
        o.add("key", m.key)
        o.add("value", .number(m.value))
        o.add("timestamp", m.timestamp)
        o.add("step", m.step)
        if withContext {
            o.add("dataset_name", ifPresent: m.datasetName)
            o.add("dataset_digest", ifPresent: m.datasetDigest)
            o.add("model_id", ifPresent: m.modelID)
            o.add("run_id", ifPresent: m.runID)
        }
        return o.value
    }

    public static func run(_ run: Run, includeOutputs: Bool = true) -> JSONValue {
        var data = JSONObjectBuilder()
        data.add("metrics", nonEmpty: run.metrics.map { metric($0) })
        data.add("params", nonEmpty: keyValues(run.params))
        data.add("tags", nonEmpty: keyValues(run.tags))
        var inputs = JSONObjectBuilder()
        inputs.add("dataset_inputs", nonEmpty: run.inputs.map(datasetInput))
        inputs.add("model_inputs", nonEmpty: run.modelInputs.map { .object([("model_id", .string($0))]) })
        var o = JSONObjectBuilder()
        o.add("info", runInfo(run.info))
        o.add("data", data.value)
        o.add("inputs", inputs.value)
        if includeOutputs {
            var outputs = JSONObjectBuilder()
            outputs.add("model_outputs", nonEmpty: run.outputs.map { .object([("model_id", .string($0.modelID)), ("step", .int($0.step))]) })
            o.add("outputs", outputs.value)
        }
        return o.value
    }

    public static func datasetInput(_ input: DatasetInput) -> JSONValue {
        var d = JSONObjectBuilder()
        d.add("name", input.dataset.name)
        d.add("digest", input.dataset.digest)
        d.add("source_type", input.dataset.sourceType)
        d.add("source", input.dataset.source)
        d.add("schema", ifPresent: input.dataset.schema)
        d.add("profile", ifPresent: input.dataset.profile)
        return .object([("tags", .array(keyValues(input.tags))), ("dataset", d.value)])
    }

    public static func loggedModel(_ m: LoggedModel) -> JSONValue {
        var info = JSONObjectBuilder()
        info.add("model_id", m.modelID)
        info.add("experiment_id", m.experimentID)
        info.add("name", m.name)
        info.add("creation_timestamp_ms", m.creationTimestamp)
        info.add("last_updated_timestamp_ms", m.lastUpdatedTimestamp)
        info.add("artifact_uri", m.artifactURI)
        info.add("status", m.status.rawValue)
        info.add("model_type", m.modelType)
        info.add("source_run_id", ifPresent: m.sourceRunID)
        info.add("tags", nonEmpty: keyValues(m.tags))
        var data = JSONObjectBuilder()
        data.add("params", nonEmpty: keyValues(m.params))
        data.add("metrics", nonEmpty: m.metrics.map { metric($0, withContext: true) })
        return .object([("info", info.value), ("data", data.value)])
    }

    public static func registeredModel(_ m: RegisteredModel) -> JSONValue {
        var o = JSONObjectBuilder()
        o.add("name", m.name)
        o.add("creation_timestamp", m.creationTimestamp)
        o.add("last_updated_timestamp", m.lastUpdatedTimestamp)
        o.add("description", ifPresent: m.description)
        o.add("latest_versions", nonEmpty: m.latestVersions.map { modelVersion($0, includeAliases: false) })
        o.add("tags", nonEmpty: keyValues(m.tags))
        o.add("aliases", nonEmpty: m.aliases.map { .object([("alias", .string($0.alias)), ("version", .string(String($0.version)))]) })
        return o.value
    }

    /// A model version; `includeAliases` is off where MLflow leaves them out (inside a registered
    /// model's `latest_versions`). Slipway includes them in search results, which MLflow does not.
    public static func modelVersion(_ v: ModelVersion, includeAliases: Bool = true) -> JSONValue {
        var o = JSONObjectBuilder()
        o.add("name", v.name)
        o.add("version", String(v.version))
        o.add("creation_timestamp", v.creationTimestamp)
        o.add("last_updated_timestamp", v.lastUpdatedTimestamp)
        if !v.userID.isEmpty { o.add("user_id", v.userID) }
        o.add("current_stage", v.currentStage.rawValue)
        o.add("description", v.description)
        o.add("source", v.source)
        o.add("run_id", v.runID)
        o.add("status", v.status)
        o.add("tags", nonEmpty: keyValues(v.tags))
        o.add("run_link", v.runLink)
        if includeAliases { o.add("aliases", nonEmpty: v.aliases.map { .string($0) }) }
        return o.value
    }

    /// Adds `next_page_token` when there is a next page.
    public static func page(_ key: String, _ items: [JSONValue], next: String?) -> JSONValue {
        var o = JSONObjectBuilder()
        o.add(key, nonEmpty: items)
        o.add("next_page_token", ifPresent: next)
        return o.value
    }
}
