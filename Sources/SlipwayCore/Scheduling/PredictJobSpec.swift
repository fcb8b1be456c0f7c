/// What a `predict` job reads and where it writes: kept as JSON in the job's `argument`.
public struct PredictJobSpec: Sendable, Hashable {
    /// A file or a glob (`incoming/*.csv`); each run reads only the files it has not read before.
    public var input: String
    /// The column holding each row's key; without one, a row's key is its file's digest and row number.
    public var idColumn: String?
    public var outputTable: String
    /// Another database for the table (`postgres://...` or `sqlite:PATH`); `nil` for Slipway's own.
    public var outputURL: String?

    public init(input: String, idColumn: String? = nil, outputTable: String, outputURL: String? = nil) {
        self.input = input
        self.idColumn = idColumn
        self.outputTable = outputTable
        self.outputURL = outputURL
    }

    /// The job's `argument`.
    public var json: String {
        var fields: [(String, JSONValue)] = [("input", .string(input)), ("output_table", .string(outputTable))]
        if let idColumn { fields.append(("id", .string(idColumn))) }
        if let outputURL { fields.append(("output_url", .string(outputURL))) }
        return JSONWriter.string(.object(fields))
    }

    /// - Throws: INVALID_PARAMETER_VALUE when `argument` is not a predict job's JSON.
    public init(json argument: String?) throws(SlipwayError) {
        guard let argument, case let value = try JSONParser.parse(argument),
              let input = value["input"]?.stringValue, let table = value["output_table"]?.stringValue, !input.isEmpty, !table.isEmpty else {
            throw .invalidParameter("A predict job needs an input (file or glob) and an output table")
        }
        self.init(input: input, idColumn: value["id"]?.stringValue, outputTable: table, outputURL: value["output_url"]?.stringValue)
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
