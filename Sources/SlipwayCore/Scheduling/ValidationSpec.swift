/// What a `validate` job checks, kept as JSON in the job's `argument`: `{"source": "data/features.csv",
/// "schema": {...}, "schema_file": "schema.yaml"}`. The source is a CSV file or an evaluation
/// dataset (`dataset:NAME` or `dataset:NAME@VERSION`); the schema is kept whole (`ValidationSchema`),
/// read from its file when the job was added, so a run checks what was declared.
public struct ValidationSpec: Sendable, Equatable {
    public var source: String
    public var schema: ValidationSchema
    /// Where the schema was read from, for people.
    public var schemaFile: String?

    public init(source: String, schema: ValidationSchema, schemaFile: String? = nil) {
        self.source = source
        self.schema = schema
        self.schemaFile = schemaFile
    }

    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [("source", .string(source)), ("schema", schema.json)]
        if let schemaFile { fields.append(("schema_file", .string(schemaFile))) }
        return .object(fields)
    }

    /// - Throws: INVALID_PARAMETER_VALUE naming what is missing or malformed.
    public init(value: JSONValue) throws(SlipwayError) {
        guard let source = value["source"]?.stringValue, !source.isEmpty else {
            throw .invalidParameter("A validate job needs 'source': a CSV file or dataset:NAME[@VERSION]")
        }
        guard let schema = value["schema"], schema != .null else { throw .invalidParameter("A validate job needs its 'schema'") }
        self.init(source: source, schema: try ValidationSchema(json: schema), schemaFile: value["schema_file"]?.stringValue)
    }

    public init(json argument: String?) throws(SlipwayError) {
        guard let argument else { throw .invalidParameter("A validate job needs 'validation': {source, schema}") }
        try self.init(value: try JSONParser.parse(argument))
    }

    public var argument: String { JSONWriter.string(json) }

    /// The dataset a `dataset:NAME[@VERSION]` source names, nil for a file.
    public var dataset: (name: String, version: Int?)? {
        guard source.hasPrefix("dataset:") else { return nil }
        return try? EvaluationDataset.parseReference(String(source.dropFirst("dataset:".count)))
    }
}
