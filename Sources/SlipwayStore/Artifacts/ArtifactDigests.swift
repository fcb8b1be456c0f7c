import SlipwayCore
import SQLKit

/// The `artifacts` table: each stored file's SHA-256 and size, by artifact path, written when an
/// upload commits and read back to verify what is loaded. Every repository keeps its records here.
struct ArtifactDigests: Sendable {
    let database: StoreDatabase
    let now: @Sendable () -> Int64

    func record(_ path: ArtifactPath, _ digest: ArtifactDigest) async throws {
        let key = path.description
        let time = now()
        try await database.withConnection { db in
            try await database.run(db, """
                INSERT INTO artifacts (path, sha256, size, created_at) VALUES (\(bind: key), \(bind: digest.sha256), \(bind: digest.size), \(bind: time))
                ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, created_at = excluded.created_at
                """)
        }
    }

    func digest(_ path: ArtifactPath) async throws -> ArtifactDigest? {
        let key = path.description
        return try await database.withConnection { db in
            guard let row = try await database.first(db, "SELECT sha256, size FROM artifacts WHERE path = \(bind: key)") else { return nil }
            return ArtifactDigest(sha256: try row.string("sha256"), size: try row.int64("size"))
        }
    }

    /// The records of the given paths (as texts) that have one.
    func digests(_ keys: [String]) async throws -> [String: ArtifactDigest] {
        guard !keys.isEmpty else { return [:] }
        return try await database.withConnection { db in
            var found: [String: ArtifactDigest] = [:]
            for row in try await database.rows(db, "SELECT path, sha256, size FROM artifacts WHERE path IN (\(binds: keys))") {
                found[try row.string("path")] = ArtifactDigest(sha256: try row.string("sha256"), size: try row.int64("size"))
            }
            return found
        }
    }

    /// Forgets a file's record and those of everything below it.
    func forget(_ path: ArtifactPath) async throws {
        let prefix = path.description
        let below = SQLPattern.escapedForLike(prefix) + "/%"
        try await database.withConnection { db in
            try await database.run(db, "DELETE FROM artifacts WHERE path = \(bind: prefix) OR path LIKE \(bind: below) ESCAPE '\\'")
        }
    }
}
