import Foundation
import SlipwayCore
import Yams

/// A YAML file (a pipeline, a validation schema) read into the JSON the server takes: mappings in
/// their order, scalars typed as YAML resolves them (`3` a number, `"3"` a string, `~` null).
enum YAMLFile {
    /// - Throws: INVALID_PARAMETER_VALUE naming the file and, for malformed YAML, where.
    static func read(_ path: String) throws(SlipwayError) -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw .invalidParameter("Cannot read '\(path)'")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw .invalidParameter("'\(path)' is not valid YAML: \(error)")
        }
        guard let node else { throw .invalidParameter("'\(path)' is empty") }
        do {
            return try json(node)
        } catch {
            throw .invalidParameter("'\(path)': \(error.message)")
        }
    }

    static func json(_ node: Node) throws(SlipwayError) -> JSONValue {
        switch node {
        case .scalar:
            let tag = node.tag.description
            if tag == Tag.Name.null.rawValue { return .null }
            if tag == Tag.Name.bool.rawValue, let value = node.bool { return .bool(value) }
            if tag == Tag.Name.int.rawValue, let value = node.int { return .int(Int64(value)) }
            if tag == Tag.Name.float.rawValue, let value = node.float { return .number(value) }
            return .string(node.string ?? "")
        case .mapping(let mapping):
            var members: [(String, JSONValue)] = []
            for (key, value) in mapping {
                guard let name = key.string else { throw .invalidParameter("line \(key.mark?.line ?? 0): a key must be text") }
                members.append((name, try json(value)))
            }
            return .object(members)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence { items.append(try json(item)) }
            return .array(items)
        case .alias:
            throw .invalidParameter("line \(node.mark?.line ?? 0): YAML aliases are not supported (a cron schedule starting with '*' must be quoted)")
        }
    }
}
