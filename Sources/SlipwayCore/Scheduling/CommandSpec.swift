/// What a `command` job runs, kept as JSON in the job's `argument`:
/// `{"command": ["python", "train.py", "--days", "30"], "cwd": "/srv/bikes", "env": {"K": "v"},
/// "timeout": 3600, "retries": 2, "retry_backoff": 10}`.
public struct CommandSpec: Sendable, Hashable {
    /// The program (a path, or a name looked up on PATH) and its arguments.
    public var command: [String]
    /// The directory it runs in; nil: the server's own.
    public var workingDirectory: String?
    /// Set on top of the server's environment (and Slipway's own variables).
    public var environment: [String: String]
    /// Seconds an attempt may run before its process group is killed.
    public var timeoutSeconds: Double
    /// Attempts after the first one that fail.
    public var retries: Int
    /// Seconds before the first retry; each later one waits twice as long.
    public var retryBackoffSeconds: Double

    public static let defaultTimeoutSeconds = 3600.0
    public static let defaultRetryBackoffSeconds = 10.0
    /// 30 days: an attempt's longest time.
    public static let longestTimeoutSeconds = 30 * 86_400.0
    /// A day: the longest first wait before a retry.
    public static let longestBackoffSeconds = 86_400.0
    /// The longest a retry waits, however many came before it.
    public static let longestWaitSeconds = 7 * 86_400.0

    public init(
        command: [String], workingDirectory: String? = nil, environment: [String: String] = [:], timeoutSeconds: Double = Self.defaultTimeoutSeconds,
        retries: Int = 0, retryBackoffSeconds: Double = Self.defaultRetryBackoffSeconds
    ) {
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.timeoutSeconds = timeoutSeconds
        self.retries = retries
        self.retryBackoffSeconds = retryBackoffSeconds
    }

    /// The spec as the job's `argument` holds it and the API shows it.
    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [("command", .array(command.map { .string($0) }))]
        if let workingDirectory { fields.append(("cwd", .string(workingDirectory))) }
        if !environment.isEmpty { fields.append(("env", .object(environment.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))) }
        fields += [("timeout", .number(timeoutSeconds)), ("retries", .int(Int64(retries))), ("retry_backoff", .number(retryBackoffSeconds))]
        return .object(fields)
    }

    /// - Throws: INVALID_PARAMETER_VALUE naming what is missing or malformed.
    public init(json argument: String?) throws(SlipwayError) {
        guard let argument else { throw .invalidParameter("A command job needs its command: a program and its arguments") }
        try self.init(value: try JSONParser.parse(argument))
    }

    /// - Throws: INVALID_PARAMETER_VALUE naming what is missing or malformed.
    public init(value: JSONValue) throws(SlipwayError) {
        guard case .object = value else { throw .invalidParameter("A command job's spec is a JSON object with a 'command' list") }
        guard let items = value["command"]?.arrayValue, !items.isEmpty else {
            throw .invalidParameter("A command job needs 'command': a list of the program and its arguments, e.g. [\"python\", \"train.py\"]")
        }
        var command: [String] = []
        for item in items {
            guard let text = item.stringValue else { throw .invalidParameter("Every item of 'command' must be a string") }
            command.append(text)
        }
        guard !command[0].isEmpty else { throw .invalidParameter("A command job's program cannot be empty") }
        var environment: [String: String] = [:]
        if let env = value["env"], env != .null {
            guard case .object(let members) = env else { throw .invalidParameter("'env' must be an object of strings") }
            for (key, item) in members {
                guard let text = item.stringValue else { throw .invalidParameter("'env' value of '\(key)' must be a string") }
                guard !key.isEmpty, !key.contains("=") else { throw .invalidParameter("'env' has a malformed variable name '\(key)'") }
                environment[key] = text
            }
        }
        func number(_ key: String, default fallback: Double, most: Double) throws(SlipwayError) -> Double {
            guard let item = value[key], item != .null else { return fallback }
            guard case .number(let x) = item, x.isFinite, x >= 0, x <= most else {
                throw .invalidParameter("'\(key)' must be a number from 0 to \(Int64(most))")
            }
            return x
        }
        let timeout = try number("timeout", default: Self.defaultTimeoutSeconds, most: Self.longestTimeoutSeconds)
        guard timeout > 0 else { throw .invalidParameter("'timeout' must be more than 0 seconds") }
        let retries = try number("retries", default: 0, most: 100)
        guard retries == retries.rounded() else { throw .invalidParameter("'retries' must be a whole number from 0 to 100") }
        self.init(
            command: command, workingDirectory: value["cwd"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }, environment: environment,
            timeoutSeconds: timeout, retries: Int(retries),
            retryBackoffSeconds: try number("retry_backoff", default: Self.defaultRetryBackoffSeconds, most: Self.longestBackoffSeconds))
    }

    /// The job's `argument`.
    public var argument: String { JSONWriter.string(json) }

    /// Seconds to wait before retry `attempt` (2 is the first retry): doubling, at most a week.
    public func backoff(before attempt: Int) -> Double {
        min(retryBackoffSeconds * Double(1 << min(max(attempt - 2, 0), 20)), Self.longestWaitSeconds)
    }

    /// The longest every attempt and wait could take together, in seconds, with `grace` per killed attempt.
    public func longestRun(grace: Double) -> Double {
        Double(retries + 1) * (timeoutSeconds + grace) + (0..<retries).reduce(0) { $0 + backoff(before: $1 + 2) }
    }
}
