import Foundation
public import SlipwayCore

/// Runs `command` jobs: the program in its own process group, with the job's working directory
/// and environment on top of the server's, and Slipway's variables:
/// - `MLFLOW_TRACKING_URI` and `MLFLOW_REGISTRY_URI` (this server), `MLFLOW_TRACKING_TOKEN` (a token for this run, on a
///   server with auth), `SLIPWAY_JOB`, `SLIPWAY_JOB_RUN`;
/// - `MLFLOW_RUN_CONTEXT`, MLflow's own way to tag every run a script starts: each carries
///   `slipway.job` and `slipway.job_run`, which is how the job run finds the runs it logged.
///
/// An attempt that outlives the timeout has its group killed (SIGTERM, then SIGKILL 5 s later);
/// a failed attempt is retried after the backoff, doubling each time. The whole output, every
/// attempt's, is kept as an artifact (`_slipway/jobs/JOB/RUN/output.log`); its tail is the run's output.
public struct CommandJob: Sendable {
    /// Credentials a run's program uses against this server, made for the run and revoked after it.
    public struct RunToken: Sendable {
        public var token: String
        public var revoke: @Sendable () async -> Void

        public init(token: String, revoke: @escaping @Sendable () async -> Void) {
            self.token = token
            self.revoke = revoke
        }
    }

    let artifacts: any ArtifactRepository
    let tracking: any TrackingStore
    /// This server's URL for the program's MLflow client; nil leaves the environment's.
    let trackingURI: String?
    /// The server's environment, which the program inherits.
    let environment: [String: String]
    /// Where output is written while a command runs.
    let scratchDirectory: String
    /// A token for one run (nil: the server runs without auth).
    let issueToken: (@Sendable (_ job: String, _ runID: String, _ until: Int64) async throws -> RunToken)?
    let grace: Duration
    let now: @Sendable () -> Int64

    /// The folder of the artifact store that holds job outputs, which no experiment may claim.
    public static let outputFolder = "_slipway"
    /// How much of the output's end the run keeps as its output text.
    static let tailBytes = 4000

    public init(
        artifacts: any ArtifactRepository, tracking: any TrackingStore, trackingURI: String?, environment: [String: String], scratchDirectory: String,
        issueToken: (@Sendable (_ job: String, _ runID: String, _ until: Int64) async throws -> RunToken)? = nil,
        grace: Duration = .seconds(5), now: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) {
        self.artifacts = artifacts
        self.tracking = tracking
        self.trackingURI = trackingURI
        self.environment = environment
        self.scratchDirectory = scratchDirectory
        self.issueToken = issueToken
        self.grace = grace
        self.now = now
    }

    /// - Throws: INVALID_PARAMETER_VALUE when the program cannot be found from the job's working
    ///   directory and PATH (checked when a job is created, and again at each run).
    public func check(_ spec: CommandSpec) throws(SlipwayError) {
        if let directory = spec.workingDirectory, !ChildProcess.isDirectory(directory) {
            throw .invalidParameter("The command's working directory '\(directory)' does not exist")
        }
        _ = try ChildProcess.resolve(spec.command[0], searchPath: spec.environment["PATH"] ?? environment["PATH"], directory: spec.workingDirectory)
    }

    /// Runs the job's command, with its retries.
    /// - Returns: the output's tail and the details (exit code, attempts, output artifact, MLflow runs).
    /// - Throws: `JobFailure` carrying the same when the last attempt fails.
    public func run(_ job: Job, runID: String) async throws -> (output: String, details: JSONValue) {
        let spec = try CommandSpec(json: job.argument)
        try check(spec)
        let program = try ChildProcess.resolve(spec.command[0], searchPath: spec.environment["PATH"] ?? environment["PATH"], directory: spec.workingDirectory)
        try FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true)
        let outputPath = "\(scratchDirectory)/\(runID).log"
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }

        let grace = Double(self.grace.components.seconds)
        let token = try await issueToken?(job.name, runID, now() + Int64(spec.longestRun(grace: grace) * 1000) + 60_000)
        var variables = environment.merging(spec.environment) { $1 }
        if let trackingURI {
            // This server is the registry too: a registry URI inherited from elsewhere would send the models away.
            variables["MLFLOW_TRACKING_URI"] = trackingURI
            variables["MLFLOW_REGISTRY_URI"] = trackingURI
        }
        variables["SLIPWAY_JOB"] = job.name
        variables["SLIPWAY_JOB_RUN"] = runID
        variables["MLFLOW_RUN_CONTEXT"] = JSONWriter.string(.object([("slipway.job", .string(job.name)), ("slipway.job_run", .string(runID))]))
        if let token { variables["MLFLOW_TRACKING_TOKEN"] = token.token } else { variables["MLFLOW_TRACKING_TOKEN"] = nil }

        var attempt = 1
        var exit: ChildProcess.Exit
        var timedOut: Bool
        do {
            while true {
                if attempt > 1 { Self.append("--- attempt \(attempt) of \(spec.retries + 1) ---\n", to: outputPath) }
                (exit, timedOut) = try await self.attempt(program, spec, variables, outputPath: outputPath)
                if exit == .code(0) && !timedOut { break }
                let why = timedOut ? "timed out after \(Self.seconds(spec.timeoutSeconds)) s: process group killed" : Self.describe(exit)
                Self.append("--- \(why) ---\n", to: outputPath)
                guard attempt <= spec.retries, !Task.isCancelled else { break }
                attempt += 1
                let wait = spec.backoff(before: attempt)
                Self.append("--- retrying in \(Self.seconds(wait)) s ---\n", to: outputPath)
                try? await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
                // Stopping (the server shuts down): no new attempt.
                if Task.isCancelled { break }
            }
        } catch {
            await token?.revoke()
            throw error
        }
        await token?.revoke()

        let artifact = try? await keep(outputPath, job: job.name, runID: runID)
        let runs = (try? await loggedRuns(runID)) ?? []
        var fields: [(String, JSONValue)] = [("attempts", .int(Int64(attempt))), ("timed_out", .bool(timedOut))]
        switch exit {
        case .code(let code): fields.append(("exit_code", .int(Int64(code))))
        case .signal(let signal): fields += [("exit_code", .null), ("signal", .int(Int64(signal)))]
        }
        fields += [("output_artifact", artifact.map { .string($0) } ?? .null), ("mlflow_runs", .array(runs.map { .string($0) }))]
        let tail = Self.tail(outputPath)
        let details = JSONValue.object(fields)
        guard exit == .code(0), !timedOut else {
            let why = timedOut ? "timed out after \(Self.seconds(spec.timeoutSeconds)) s" : Self.describe(exit)
            throw JobFailure(message: "\(why) (attempt \(attempt) of \(spec.retries + 1))", output: tail, details: details)
        }
        return (tail, details)
    }

    /// One attempt: starts the program and waits for it until it ends or its time is up.
    func attempt(_ program: String, _ spec: CommandSpec, _ variables: [String: String], outputPath: String) async throws -> (ChildProcess.Exit, timedOut: Bool) {
        let child = try ChildProcess.spawn(
            program: program, arguments: spec.command, environment: variables, directory: spec.workingDirectory, outputPath: outputPath)
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(spec.timeoutSeconds * 1000))
        while true {
            if let exit = child.poll() {
                child.signalGroup(SIGKILL)  // what it started and left behind
                return (exit, false)
            }
            if clock.now >= deadline || Task.isCancelled {
                // Stopped whatever this task's fate: a detached task is not cancelled with it.
                let exit = await Task.detached { [grace] in await child.stop(grace: grace) }.value
                return (exit, !Task.isCancelled)
            }
            try? await Task.sleep(for: .milliseconds(25))
        }
    }

    /// Copies the output into the artifact store; returns its path there.
    func keep(_ outputPath: String, job: String, runID: String) async throws -> String {
        let path = try ArtifactPath("\(Self.outputFolder)/jobs/\(job)/\(runID)/output.log")
        let upload = try artifacts.beginUpload(path)
        do {
            guard let handle = FileHandle(forReadingAtPath: outputPath) else { throw SlipwayError(.invalidState, "Cannot read \(outputPath)") }
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                try await upload.append(Array(chunk))
            }
            _ = try await artifacts.commit(upload)
        } catch {
            await artifacts.abort(upload)
            throw error
        }
        return path.description
    }

    /// The MLflow runs the program started: those tagged with this job run.
    func loggedRuns(_ runID: String) async throws -> [String] {
        var experiments: [String] = []
        var token: String? = nil
        repeat {
            let page = try await tracking.searchExperiments(
                try EntitySearch(.experiments, filter: nil, maxResults: EntitySearch.Kind.experiments.maxResultsLimit, pageToken: token), viewType: .all)
            experiments += page.items.map(\.id)
            token = page.nextPageToken
        } while token != nil
        guard !experiments.isEmpty else { return [] }
        let search = try RunSearch(experimentIDs: experiments, filter: "tags.`slipway.job_run` = '\(runID)'", viewType: .all, maxResults: 1000)
        return try await tracking.searchRuns(search).items.map(\.info.runID)
    }

    static func append(_ text: String, to path: String) {
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data(text.utf8))
    }

    /// The last `tailBytes` of the output, cut at a line start when one is near.
    static func tail(_ path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let start = size > UInt64(tailBytes) ? size - UInt64(tailBytes) : 0
        try? handle.seek(toOffset: start)
        var text = String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
        if start > 0, let newline = text.firstIndex(of: "\n") { text = "..." + text[text.index(after: newline)...] }
        return text
    }

    static func describe(_ exit: ChildProcess.Exit) -> String {
        switch exit {
        case .code(let code): "exited with code \(code)"
        case .signal(let signal): "killed by signal \(signal)"
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) : String(value)
    }
}
