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
        var out = JSONStream(capacity: 256)
        write(info, to: &out)
        return .raw(out.bytes)
    }

    /// A list of metric points (a metric history page holds up to 25,000).
    public static func metrics(_ list: [Metric], withContext: Bool = false) -> JSONValue {
        var out = JSONStream(capacity: 80 * list.count + 2)
        out.beginArray()
        for m in list { write(m, withContext: withContext, to: &out) }
        out.endArray()
        return .raw(out.bytes)
    }

    static func write(_ m: Metric, withContext: Bool, to out: inout JSONStream) {
        out.beginObject()
        out.field("key", m.key)
        out.key("value")
        out.number(m.value)
        out.field("timestamp", m.timestamp)
        out.field("step", m.step)
        if withContext {
            if let v = m.datasetName { out.field("dataset_name", v) }
            if let v = m.datasetDigest { out.field("dataset_digest", v) }
            if let v = m.modelID { out.field("model_id", v) }
            if let v = m.runID { out.field("run_id", v) }
        }
        out.endObject()
    }

    /// A whole run; written straight to bytes, since search pages hold hundreds of them.
    public static func run(_ run: Run, includeOutputs: Bool = true) -> JSONValue {
        var out = JSONStream(capacity: 1024)
        write(run, includeOutputs: includeOutputs, to: &out)
        return .raw(out.bytes)
    }

    /// Names the encoding `runBytes` makes, for stores that keep it with cached runs.
    public static let runEncoding = "mlflow-json-run-v1"

    /// A run as `runs/search` lists it, as JSON bytes.
    @Sendable public static func runBytes(_ run: Run) -> [UInt8] {
        var out = JSONStream(capacity: 1024)
        write(run, includeOutputs: true, to: &out)
        return out.bytes
    }

    /// A page of encoded runs as `runs/search` answers it, written into one buffer.
    public static func runsPage(_ page: Page<[UInt8]>) -> JSONValue {
        var out = JSONStream(capacity: page.items.reduce(64) { $0 + $1.count + 1 })
        out.beginObject()
        if !page.items.isEmpty {
            out.key("runs")
            out.beginArray()
            for run in page.items { out.raw(run) }
            out.endArray()
        }
        if let next = page.nextPageToken { out.field("next_page_token", next) }
        out.endObject()
        return .raw(out.bytes)
    }

    static func write(_ info: RunInfo, to out: inout JSONStream) {
        out.beginObject()
        out.field("run_uuid", info.runID)
        out.field("experiment_id", info.experimentID)
        out.field("run_name", info.runName)
        out.field("user_id", info.userID)
        out.field("status", info.status.rawValue)
        out.field("start_time", info.startTime)
        if let end = info.endTime { out.field("end_time", end) }
        out.field("artifact_uri", info.artifactURI)
        out.field("lifecycle_stage", info.lifecycleStage.rawValue)
        out.field("run_id", info.runID)
        out.endObject()
    }

    static func write(_ items: [KeyValue], named name: String, to out: inout JSONStream) {
        guard !items.isEmpty else { return }
        out.key(name)
        out.beginArray()
        for item in items {
            out.beginObject()
            out.field("key", item.key)
            out.field("value", item.value)
            out.endObject()
        }
        out.endArray()
    }

    static func write(_ run: Run, includeOutputs: Bool, to out: inout JSONStream) {
        out.beginObject()
        out.key("info")
        write(run.info, to: &out)
        out.key("data")
        out.beginObject()
        if !run.metrics.isEmpty {
            out.key("metrics")
            out.beginArray()
            for m in run.metrics { write(m, withContext: false, to: &out) }
            out.endArray()
        }
        write(run.params, named: "params", to: &out)
        write(run.tags, named: "tags", to: &out)
        out.endObject()
        out.key("inputs")
        out.beginObject()
        if !run.inputs.isEmpty {
            out.key("dataset_inputs")
            out.beginArray()
            for input in run.inputs { out.raw(JSONWriter.bytes(datasetInput(input))) }
            out.endArray()
        }
        if !run.modelInputs.isEmpty {
            out.key("model_inputs")
            out.beginArray()
            for id in run.modelInputs {
                out.beginObject()
                out.field("model_id", id)
                out.endObject()
            }
            out.endArray()
        }
        out.endObject()
        if includeOutputs {
            out.key("outputs")
            out.beginObject()
            if !run.outputs.isEmpty {
                out.key("model_outputs")
                out.beginArray()
                for output in run.outputs {
                    out.beginObject()
                    out.field("model_id", output.modelID)
                    out.field("step", output.step)
                    out.endObject()
                }
                out.endArray()
            }
            out.endObject()
        }
        out.endObject()
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
        if !m.metrics.isEmpty { data.add("metrics", metrics(m.metrics, withContext: true)) }
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
