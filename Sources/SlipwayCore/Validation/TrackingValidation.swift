/// MLflow's limits and naming rules for what a run logs, checked before anything is stored.
public enum TrackingValidation {
    public static let maxMetricsPerBatch = 1000
    public static let maxParamsPerBatch = 100
    public static let maxTagsPerBatch = 100
    public static let maxEntitiesPerBatch = 1000
    public static let maxKeyLength = 250
    public static let maxParamValueLength = 6000
    public static let maxTagValueLength = 8000

    /// Checks a log-batch request's sizes, names and lengths.
    public static func validateBatch(metrics: [Metric], params: [KeyValue], tags: [KeyValue]) throws(SlipwayError) {
        if metrics.count > maxMetricsPerBatch {
            throw .invalidParameter("Invalid value \"metrics\" for parameter 'metrics' supplied: A batch logging request can contain at most \(maxMetricsPerBatch) metrics. Got \(metrics.count) metrics.")
        }
        if params.count > maxParamsPerBatch {
            throw .invalidParameter("Invalid value \"params\" for parameter 'params' supplied: A batch logging request can contain at most \(maxParamsPerBatch) params. Got \(params.count) params.")
        }
        if tags.count > maxTagsPerBatch {
            throw .invalidParameter("Invalid value \"tags\" for parameter 'tags' supplied: A batch logging request can contain at most \(maxTagsPerBatch) tags. Got \(tags.count) tags.")
        }
        let total = metrics.count + params.count + tags.count
        if total > maxEntitiesPerBatch {
            throw .invalidParameter("A batch logging request can contain at most \(maxEntitiesPerBatch) metrics, params and tags in total. Got \(total).")
        }
        // A batch repeats few keys (1000 points of one metric): check each name once.
        var checked = Set<String>()
        for metric in metrics where checked.insert(metric.key).inserted { try validateName(metric.key, kind: "metric") }
        for param in params {
            try validateName(param.key, kind: "param")
            if param.value.count > maxParamValueLength {
                throw .invalidParameter("Param value '\(param.value.prefix(20))...' had length \(param.value.count), which exceeded length limit of \(maxParamValueLength)")
            }
        }
        for tag in tags {
            try validateName(tag.key, kind: "tag")
            if tag.value.count > maxTagValueLength {
                throw .invalidParameter("Tag value '\(tag.value.prefix(20))...' had length \(tag.value.count), which exceeded length limit of \(maxTagValueLength)")
            }
        }
    }

    /// Names may hold alphanumerics, `_ - . space : /`, must not be a path that climbs (`..`), and
    /// are at most 250 characters.
    public static func validateName(_ name: String, kind: String) throws(SlipwayError) {
        if name.isEmpty { throw .invalidParameter("Missing value for required parameter 'key'. A \(kind) name must not be empty.") }
        if name.count > maxKeyLength {
            throw .invalidParameter("\(kind.capitalized) '\(name.prefix(20))...' had length \(name.count), which exceeded length limit of \(maxKeyLength)")
        }
        let allowed = name.unicodeScalars.allSatisfy { s in
            (s.properties.isAlphabetic || s.properties.numericType != nil) || "_-. :/".unicodeScalars.contains(s)
        }
        let climbs = name.hasPrefix("/") || name.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == ".." || $0 == "." }
        if !allowed || climbs {
            throw .invalidParameter("Invalid \(kind) name: '\(name)'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).")
        }
    }
}
