import Foundation

extension Job {
    /// A job from the fields of `POST /api/v1/jobs` (the CLI sends the same ones), its first run
    /// planned after `time`. - Throws: INVALID_PARAMETER_VALUE naming what is missing or malformed.
    public init(fields body: [String: JSONValue], at time: Int64) throws(SlipwayError) {
        func text(_ key: String) throws(SlipwayError) -> String {
            guard let value = body[key]?.stringValue, !value.isEmpty else { throw .invalidParameter("'\(key)' is required") }
            return value
        }
        guard let kind = Job.Kind(rawValue: try text("kind")) else {
            throw .invalidParameter("'kind' must be one of \(Job.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let timezone = body["timezone"]?.stringValue ?? "UTC"
        let schedule = try body["schedule"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }.map { text throws(SlipwayError) in
            try CronSchedule(text, timeZone: timezone)
        }
        if schedule == nil, body["timezone"] != nil { throw .invalidParameter("'timezone' is for a 'schedule'") }
        func names(_ key: String) throws(SlipwayError) -> [String] {
            switch body[key] {
            case nil, .null?: return []
            case .string(let list)?: return list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            case .array(let items)?: return items.compactMap(\.stringValue)
            default: throw .invalidParameter("'\(key)' is a list of job names")
            }
        }
        let after = try names("after")
        var argument = kind == .monitor ? body["rule"]?.stringValue : body["dataset"]?.stringValue
        if kind == .predict {
            let spec = PredictJobSpec(
                input: body["input"]?.stringValue ?? "", sourceURL: body["source_url"]?.stringValue, query: body["query"]?.stringValue,
                watermark: body["watermark"]?.stringValue, idColumn: body["id"]?.stringValue, outputTable: try text("output_table"),
                outputURL: body["output_url"]?.stringValue)
            try spec.validate()
            argument = spec.json
        }
        if kind == .command {
            guard let command = body["command"] else { throw .invalidParameter("A command job needs 'command': {\"command\": [program, args...], ...}") }
            // The spec's object, or the bare list of the program and its arguments.
            let spec = if case .array = command { try CommandSpec(value: .object([("command", command)])) } else { try CommandSpec(value: command) }
            argument = spec.argument
        }
        if kind == .validate {
            guard let validation = body["validation"] else {
                throw .invalidParameter("A validate job needs 'validation': {\"source\": FILE or dataset:NAME, \"schema\": {...}}")
            }
            argument = try ValidationSpec(value: validation).argument
        }
        self.init(
            name: try text("name"), kind: kind, model: kind.isAboutModel ? try text("model") : body["model"]?.stringValue ?? "", argument: argument,
            schedule: schedule, after: after, onEvent: body["on"]?.stringValue.flatMap { $0.isEmpty ? nil : EventType(named: $0)?.rawValue ?? $0 }, requires: try names("requires"),
            nextRunAt: schedule?.next(after: time), createdAt: time)
        try validate()
    }

}
