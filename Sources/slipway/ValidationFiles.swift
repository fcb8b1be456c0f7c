import Foundation
import SlipwayCore

/// A validate job's spec as the command line makes it: the schema file read (YAML or JSON) and
/// kept whole, file paths made absolute against `base` (the working directory, or a pipeline
/// file's folder), so the server checks what was declared wherever it runs.
enum ValidationFiles {
    static func spec(source: String, schemaFile: String, base: String) throws(SlipwayError) -> JSONValue {
        let schemaPath = absolute(schemaFile, base)
        let schema = try ValidationSchema(json: try YAMLFile.read(schemaPath))
        let resolved = source.hasPrefix("dataset:") ? source : absolute(source, base)
        return ValidationSpec(source: resolved, schema: schema, schemaFile: schemaPath).json
    }

    static func absolute(_ path: String, _ base: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: base + "/")).standardizedFileURL.path
    }
}
