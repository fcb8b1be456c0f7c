/// What a `predict` job reads and where it writes: kept as JSON in the job's `argument`. It reads
/// files (`input`) or the rows of a SQL query (`sourceURL` and `query`, with a `watermark` column
/// so that each run reads only rows beyond the highest value read before).
public struct PredictJobSpec: Sendable, Hashable {
    /// A file or a glob (`incoming/*.csv`); each run reads only the files it has not read before. Empty for a SQL source.
    public var input: String
    /// The source database (`postgres://...` or `sqlite:PATH`), for a SQL source.
    public var sourceURL: String?
    public var query: String?
    /// A column of the query, increasing as rows arrive (`updated_at`, an id).
    public var watermark: String?
    /// The column holding each row's key; without one, a row's key is its file's digest and row number.
    public var idColumn: String?
    public var outputTable: String
    /// Another database for the table (`postgres://...` or `sqlite:PATH`); `nil` for Slipway's own.
    public var outputURL: String?

    public init(
        input: String, sourceURL: String? = nil, query: String? = nil, watermark: String? = nil, idColumn: String? = nil, outputTable: String,
        outputURL: String? = nil
    ) {
        self.input = input
        self.sourceURL = sourceURL
        self.query = query
        self.watermark = watermark
        self.idColumn = idColumn
        self.outputTable = outputTable
        self.outputURL = outputURL
    }

    /// The job's `argument`.
    public var json: String {
        var fields: [(String, JSONValue)] = [("input", .string(input)), ("output_table", .string(outputTable))]
        if let sourceURL { fields.append(("source_url", .string(sourceURL))) }
        if let query { fields.append(("query", .string(query))) }
        if let watermark { fields.append(("watermark", .string(watermark))) }
        if let idColumn { fields.append(("id", .string(idColumn))) }
        if let outputURL { fields.append(("output_url", .string(outputURL))) }
        return JSONWriter.string(.object(fields))
    }

    /// - Throws: INVALID_PARAMETER_VALUE when `argument` is not a predict job's JSON.
    public init(json argument: String?) throws(SlipwayError) {
        guard let argument, case let value = try JSONParser.parse(argument), let table = value["output_table"]?.stringValue, !table.isEmpty else {
            throw .invalidParameter("A predict job needs an input (file or glob, or a source URL and query) and an output table")
        }
        self.init(
            input: value["input"]?.stringValue ?? "", sourceURL: value["source_url"]?.stringValue, query: value["query"]?.stringValue,
            watermark: value["watermark"]?.stringValue, idColumn: value["id"]?.stringValue, outputTable: table, outputURL: value["output_url"]?.stringValue)
        try validate()
    }

    /// - Throws: INVALID_PARAMETER_VALUE for files and a SQL source at once, or neither, or a
    ///   SQL source without its query and watermark.
    public func validate() throws(SlipwayError) {
        guard input.isEmpty != (sourceURL == nil) else {
            throw .invalidParameter("A predict job reads an input (file or glob) or a SQL source (source URL and query), one of the two")
        }
        if sourceURL != nil {
            guard let query, !query.isEmpty else { throw .invalidParameter("A predict job over a SQL source needs its query") }
            guard let watermark, !watermark.isEmpty, watermark.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw .invalidParameter("A predict job over a SQL source needs a watermark column (a plain column name, e.g. updated_at)")
            }
        }
    }
}

/// A file a predict job has read, so later runs skip it: by path, and by digest when its size or
/// modification time changed.
public struct ProcessedFile: Sendable, Hashable {
    public var path: String
    public var size: Int64
    /// Modification time, milliseconds since the epoch.
    public var modifiedAt: Int64
    /// SHA-256, lowercase hex.
    public var digest: String
    public var rows: Int
    /// The job run that read it.
    public var runID: String

    public init(path: String, size: Int64, modifiedAt: Int64, digest: String, rows: Int, runID: String) {
        self.path = path
        self.size = size
        self.modifiedAt = modifiedAt
        self.digest = digest
        self.rows = rows
        self.runID = runID
    }
}

/// A range a predict job is run over again (`jobs run --since --until`), whatever earlier runs
/// read: for a SQL source, values of its watermark column (`since` <= value < `until`, as written);
/// for files, modification times (ms since the epoch). Nothing is recorded as read by such a run.
public struct Backfill: Sendable, Hashable {
    public var since: String?
    public var until: String?

    public init(since: String?, until: String?) {
        self.since = since
        self.until = until
    }
}
