import Foundation
public import SlipwayCore
import SQLKit

/// Changes announced to the other servers sharing a PostgreSQL database: each is numbered from the
/// one counter row and kept in `changes` by the transaction of the write it announces, and a
/// `NOTIFY` on ``changeChannel`` (delivered when that transaction commits) wakes their listeners,
/// which read every change after the last they saw. On SQLite nothing is announced: other
/// processes on the file see changes at their next poll.
extension StoreDatabase {
    /// The channel listeners `LISTEN` on.
    public static let changeChannel = "slipway_changes"

    /// This process, as `changes.origin`: a listener skips what its own process announced.
    public static let processOrigin = IDGenerator.hex32()

    /// Announces a change as part of the transaction `db`: recorded with the write, heard when it
    /// commits. Called first in the transaction: the counter row's lock then orders the changes as they
    /// commit, and every announcing transaction takes it before any other lock (no deadlock between them).
    func announce(_ db: any SQLDatabase, _ kind: ChangeKind, _ subject: String) async throws {
        guard isPostgres else { return }
        guard let row = try await first(db, "UPDATE change_counter SET value = value + 1 WHERE id = 1 RETURNING value") else { return }
        let time = Int64(Date().timeIntervalSince1970 * 1000)
        try await run(db, """
            INSERT INTO changes (seq, kind, subject, origin, created_at)
            VALUES (\(bind: try row.int64("value")), \(bind: kind.rawValue), \(bind: subject), \(bind: Self.processOrigin), \(bind: time))
            """)
        try await db.raw("NOTIFY \(unsafeRaw: Self.changeChannel)").run()
    }

    /// The newest change's number (0 when none).
    public func latestChange() async throws -> Int64 {
        try await withConnection { db in
            try await first(db, "SELECT value FROM change_counter WHERE id = 1")?.int64("value") ?? 0
        }
    }

    /// The changes numbered after `seq` that other processes announced, oldest first, and the newest number seen.
    public func changes(after seq: Int64) async throws -> (changes: [Change], latest: Int64) {
        try await withConnection { db in
            var latest = seq
            var found: [Change] = []
            for row in try await rows(db, "SELECT seq, kind, subject, origin FROM changes WHERE seq > \(bind: seq) ORDER BY seq LIMIT 10000") {
                latest = max(latest, try row.int64("seq"))
                guard try row.string("origin") != Self.processOrigin, let kind = ChangeKind(rawValue: try row.string("kind")) else { continue }
                found.append(Change(kind: kind, subject: try row.string("subject")))
            }
            return (found, latest)
        }
    }

    /// Forgets changes older than `milliseconds` (every listener has long read them).
    public func pruneChanges(olderThan milliseconds: Int64) async throws {
        let cutoff = Int64(Date().timeIntervalSince1970 * 1000) - milliseconds
        try await withConnection { db in
            try await run(db, "DELETE FROM changes WHERE created_at < \(bind: cutoff)")
        }
    }
}
