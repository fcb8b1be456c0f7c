import SlipwayCore
import SQLKit

extension SQLTrackingStore {
    /// Runs a write to one run in a transaction, keeping the run cache honest: the run's
    /// experiment is invalidated before the commit and again after it.
    func writingRun<T: Sendable>(_ runID: String, _ body: @Sendable @escaping (any SQLDatabase, RunInfo) async throws -> T) async throws -> T {
        let cache = self.cache
        let (result, experimentID) = try await database.transaction { db in
            let info = try await activeRunInfo(db, id: runID)
            cache?.invalidate(info.experimentID)
            return (try await body(db, info), info.experimentID)
        }
        cache?.invalidate(experimentID)
        return result
    }

    /// Searches in memory when every experiment's runs are (or can be) cached, turning each run of
    /// the page into `Encoded` (memoized with the cached run when `encoding` names it); `nil` means "use SQL"
    /// (PostgreSQL, or an experiment too large to cache).
    func searchCachedRuns<Encoded: Sendable>(
        _ search: RunSearch, cursor: RunKeyset.Cursor, encoding: String?, _ encode: @Sendable (Run) -> Encoded
    ) async throws -> Page<Encoded>? {
        guard let cache else { return nil }
        let version = try await database.withConnection { db in
            try await database.first(db, "PRAGMA data_version")?.int64("data_version")
        }
        if let version { cache.observe(dataVersion: version) }
        var groups: [RunCache.CachedRuns] = []
        for experimentID in Set(search.experimentIDs) {
            let (cached, generation, tooLarge) = cache.lookup(experimentID)
            if let cached {
                groups.append(cached)
                continue
            }
            if tooLarge { return nil }
            guard let numeric = Int64(experimentID) else { continue }
            let loaded: [Run]? = try await database.withConnection { db in
                let count = try await database.first(db, "SELECT COUNT(*) AS n FROM runs WHERE experiment_id = \(bind: numeric)")?.int64("n") ?? 0
                guard count <= cache.maxRunsPerExperiment else { return nil }
                let ids = try await database.rows(db, "SELECT run_uuid FROM runs WHERE experiment_id = \(bind: numeric)").map { try $0.string("run_uuid") }
                var all: [Run] = []
                for chunk in ids.chunked(by: 500) { all += try await fetchRuns(db, ids: Array(chunk)) }
                return all
            }
            guard let loaded else {
                cache.tooLarge(experimentID, generation: generation)
                return nil
            }
            let runs = RunCache.CachedRuns(loaded)
            cache.install(experimentID, runs: runs, generation: generation)
            groups.append(runs)
        }
        let stages = Set(search.viewType.stages)
        let matcher = RunMatcher(filter: search.filter, order: search.orderBy)
        let runs = groups.count == 1 ? groups[0].runs : groups.flatMap(\.runs)
        let memos = groups.count == 1 ? groups[0].memos : groups.flatMap(\.memos)
        // Through a buffer, so each run is borrowed rather than copied (a run holds many references).
        let candidates = runs.withUnsafeBufferPointer { buffer in
            buffer.indices.filter { stages.contains(buffer[$0].info.lifecycleStage) && matcher.matches(buffer[$0]) }
        }
        let matching = matcher.sortedIndices(candidates, of: runs)
        let start = switch cursor {
        case .offset(let n): min(n, matching.count)
        case .after(let keyset): matcher.position(after: keyset, in: matching, of: runs)
        }
        let end = min(matching.count, start + search.maxResults)
        let window = matching[start..<end].map { i in
            encoding.map { memos[i].value($0) { encode(runs[i]) } } ?? encode(runs[i])
        }
        let next = end < matching.count ? RunKeyset(run: runs[matching[end - 1]], order: search.orderBy).token : nil
        return Page(items: window, nextPageToken: next)
    }
}
