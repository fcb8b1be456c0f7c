/// A drift result as stored: which model, version and reference, the window, the verdict, and the
/// whole result as the API writes it.
public struct StoredDriftReport: Sendable, Hashable {
    public var id: String
    public var model: String
    public var version: Int
    public var reference: String
    public var since: Int64
    public var until: Int64
    public var createdAt: Int64
    public var drifted: Bool
    public var share: Double
    /// The report's JSON (`ModelDriftReport.json`).
    public var report: String

    public init(id: String, model: String, version: Int, reference: String, since: Int64, until: Int64, createdAt: Int64, drifted: Bool, share: Double, report: String) {
        self.id = id
        self.model = model
        self.version = version
        self.reference = reference
        self.since = since
        self.until = until
        self.createdAt = createdAt
        self.drifted = drifted
        self.share = share
        self.report = report
    }
}

/// Drift results, kept with their reference and window.
public protocol DriftReportStore: Sendable {
    func record(_ report: StoredDriftReport) async throws
    /// A model's reports, newest first.
    func list(model: String, limit: Int) async throws -> [StoredDriftReport]
}
