import Foundation
public import SlipwayCore
import SlipwayModels

/// Checks a CSV file, or an evaluation dataset (`dataset:NAME[@VERSION]`), against a schema: what
/// `slipway validate` and `validate` jobs do. A job whose check finds broken rules fails with the
/// report (so the steps after it are skipped) and announces `ml.data.validation_failed.v1`.
public struct ValidateJob: Sendable {
    let evaluations: any EvaluationStore
    let artifacts: any ArtifactRepository
    let events: (any EventStore)?
    let now: @Sendable () -> Int64

    static let eventSource = "/slipway/validation"

    public init(
        evaluations: any EvaluationStore, artifacts: any ArtifactRepository, events: (any EventStore)?,
        now: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) {
        self.evaluations = evaluations
        self.artifacts = artifacts
        self.events = events
        self.now = now
    }

    /// The report of `spec`'s source against its schema.
    /// - Throws: NOT_FOUND for a missing file or dataset; INVALID_PARAMETER_VALUE for a file that is not CSV.
    public func check(_ spec: ValidationSpec) async throws -> ValidationReport {
        try Self.report(try await read(spec), spec, now: now())
    }

    /// The report of a file (not a dataset), without a store.
    public static func checkFile(_ spec: ValidationSpec, now: Int64 = WallClock.milliseconds()) async throws -> ValidationReport {
        guard let data = FileManager.default.contents(atPath: spec.source) else { throw SlipwayError.notFound("Cannot read '\(spec.source)' to validate it") }
        return try report(Array(data), spec, now: now)
    }

    static func report(_ bytes: [UInt8], _ spec: ValidationSpec, now: Int64) throws(SlipwayError) -> ValidationReport {
        var validator: DataValidator?
        try CSVText.read(bytes, header: { validator = DataValidator(schema: spec.schema, header: $0, now: now) }, row: { validator?.add($0) })
        return validator!.finish(source: spec.source)
    }

    /// The source's bytes.
    func read(_ spec: ValidationSpec) async throws -> [UInt8] {
        if let (name, version) = spec.dataset {
            let dataset = try await evaluations.getDataset(name: name, version: version)
            guard let file = try await artifacts.localFile(try ArtifactPath(dataset.artifactPath)), let data = FileManager.default.contents(atPath: file) else {
                throw SlipwayError.notFound("The file of dataset \(dataset.name)@\(dataset.version) is missing from the artifact store")
            }
            return Array(data)
        }
        guard let data = FileManager.default.contents(atPath: spec.source) else {
            throw SlipwayError.notFound("Cannot read '\(spec.source)' to validate it")
        }
        return Array(data)
    }

    /// A `validate` job's run: the report as its output and details; a broken rule fails it.
    public func run(_ job: Job, runID: String) async throws -> (output: String, details: JSONValue) {
        let spec = try ValidationSpec(json: job.argument)
        let report = try await check(spec)
        guard report.passed else {
            if let events {
                var data: [(String, JSONValue)] = [("job", .string(job.name)), ("run_id", .string(runID))]
                if case .object(let fields) = report.json { data += fields }
                try? await events.record(Event(
                    type: .dataValidationFailed, source: Self.eventSource, subject: "jobs/\(job.name)/runs/\(runID)", time: now(), data: .object(data)))
            }
            throw JobFailure(message: "validation failed", output: report.text, details: report.json)
        }
        return (report.text, report.json)
    }
}
