public import SlipwayCore
import SQLKit

/// Drift results over SQL.
public struct SQLDriftReportStore: DriftReportStore {
    let database: StoreDatabase

    public init(database: StoreDatabase) {
        self.database = database
    }

    public func record(_ report: StoredDriftReport) async throws {
        let database = self.database
        try await database.transaction { db in
            try await database.insert(
                db, into: "drift_reports", columns: ["id", "model", "version", "reference", "since", "until", "created_at", "drifted", "share", "report"],
                rows: [[.text(report.id), .text(report.model), .int(Int64(report.version)), .text(report.reference), .int(report.since), .int(report.until),
                        .int(report.createdAt), .int(report.drifted ? 1 : 0), .double(report.share), .text(report.report)]])
        }
    }

    public func list(model: String, limit: Int) async throws -> [StoredDriftReport] {
        let database = self.database
        return try await database.withConnection { db in
            try await database.rows(db, """
                SELECT * FROM drift_reports WHERE model = \(bind: model) ORDER BY created_at DESC, id DESC LIMIT \(bind: limit)
                """).map { row in
                StoredDriftReport(
                    id: try row.string("id"), model: try row.string("model"), version: try row.int("version"), reference: try row.string("reference"),
                    since: try row.int64("since"), until: try row.int64("until"), createdAt: try row.int64("created_at"), drifted: try row.int("drifted") != 0,
                    share: try row.double("share"), report: try row.string("report"))
            }
        }
    }
}
