import Foundation
import Logging
import SlipwayCore
import SlipwayStore
import SlipwayTestSupport
import Testing

@Suite("In-memory run search agrees with SQL")
struct RunCacheTests {
    @Test("Random filters and orders give the same pages in memory and in SQL")
    func randomSearches() async throws {
        try await TestBackend.sqlite.withDatabase { db in
            let cached = SQLTrackingStore(database: db)
            let plain = SQLTrackingStore(database: db, cacheRuns: false)
            var rng = SplitMix(seed: 42)
            let names = ["alpha", "Alpha", "beta", "b_ta", "gamma%", "delta", "épsilon", "zeta"]
            for i in 0..<60 {
                let run = try await cached.createRun(CreateRunRequest(
                    experimentID: "0", userID: ["ana", "bo"][i % 2], runName: names[i % names.count] + "-\(i % 7)",
                    startTime: Int64(1000 + Int.random(in: 0..<20, using: &rng)), tags: []))
                var metrics: [Metric] = []
                if Bool.random(using: &rng) { metrics.append(Metric(key: "mae", value: Double(Int.random(in: 0..<10, using: &rng)), timestamp: 1)) }
                if Int.random(in: 0..<5, using: &rng) == 0 { metrics.append(Metric(key: "rmse", value: .nan, timestamp: 1)) }
                else if Bool.random(using: &rng) { metrics.append(Metric(key: "rmse", value: Double.random(in: -5...5, using: &rng), timestamp: 1)) }
                var params: [KeyValue] = []
                if Int.random(in: 0..<4, using: &rng) > 0 { params.append(KeyValue(key: "model", value: ["xgb", "XGB", "lgbm", "lin"].randomElement(using: &rng)!)) }
                let tags = Bool.random(using: &rng) ? [KeyValue(key: "team", value: ["a", "b", "é"].randomElement(using: &rng)!)] : []
                try await cached.logBatch(runID: run.info.runID, metrics: metrics, params: params, tags: tags)
                if i % 9 == 0 { _ = try await cached.updateRun(id: run.info.runID, status: .finished, endTime: 5000 + Int64(i), runName: nil) }
                if i % 13 == 0 { try await cached.setRunLifecycle(id: run.info.runID, .deleted) }
            }
            let atoms = [
                "metrics.mae < 5", "metrics.mae >= 3", "metrics.rmse != 0", "metrics.rmse > -1", "params.model = 'xgb'",
                "params.model != 'lgbm'", "params.model LIKE 'x%'", "params.model ILIKE 'X%'", "params.model IN ('lin', 'XGB')",
                "params.model NOT IN ('xgb')", "tags.team = 'é'", "tags.team != 'a'", "attributes.run_name LIKE '%a-_'",
                "attributes.run_name ILIKE 'ALPHA%'", "attributes.run_name LIKE 'gamma%%'", "attributes.run_name LIKE 'b_ta%'",
                "attributes.status = 'FINISHED'", "attributes.end_time > 5010", "attributes.start_time <= 1010", "attributes.user_id = 'ana'",
                "attributes.run_name = 'épsilon-6'",
            ]
            let orders = ["metrics.mae ASC", "metrics.rmse DESC", "params.model ASC", "tags.team DESC", "attributes.run_name ASC",
                          "attributes.start_time ASC", "attributes.end_time DESC", "run_name DESC"]
            for _ in 0..<150 {
                var filter = atoms.randomElement(using: &rng)!
                for _ in 0..<Int.random(in: 0..<3, using: &rng) {
                    let next = atoms.randomElement(using: &rng)!
                    filter = Bool.random(using: &rng) ? "(\(filter)) OR \(next)" : "\(filter) AND \(next)"
                }
                if Int.random(in: 0..<6, using: &rng) == 0 { filter = "" }
                let order = (0..<Int.random(in: 0..<3, using: &rng)).map { _ in orders.randomElement(using: &rng)! }
                let view = [ViewType.activeOnly, .deletedOnly, .all].randomElement(using: &rng)!
                let pageSize = [3, 10, 100].randomElement(using: &rng)!
                var token: String?
                var pages = 0
                var paged: [String] = []
                repeat {
                    let search = try RunSearch(experimentIDs: ["0"], filter: filter, viewType: view, maxResults: pageSize, orderBy: order, pageToken: token)
                    let a = try await cached.searchRuns(search)
                    let b = try await plain.searchRuns(search)
                    #expect(a.items.map(\.info.runID) == b.items.map(\.info.runID), "filter: \(filter) order: \(order) view: \(view)")
                    // Whole runs agree too (compared as text: NaN metrics are never == themselves).
                    #expect(a.items.map { "\($0)" } == b.items.map { "\($0)" }, "filter: \(filter)")
                    #expect(a.nextPageToken == b.nextPageToken)
                    token = a.nextPageToken
                    paged += b.items.map(\.info.runID)
                    pages += 1
                } while token != nil && pages < 30
                // Keyset pages put together are the whole result, each run once, in order.
                let whole = try await plain.searchRuns(try RunSearch(experimentIDs: ["0"], filter: filter, viewType: view, maxResults: 1000, orderBy: order))
                #expect(paged == whole.items.map(\.info.runID), "filter: \(filter) order: \(order) pages of \(pageSize)")
            }
        }
    }

    @Test("A keyset page does not shift when runs are logged before it; offset tokens still read")
    func keysetPages() async throws {
        for cacheRuns in [true, false] {
            try await TestBackend.sqlite.withDatabase { db in
                let store = SQLTrackingStore(database: db, cacheRuns: cacheRuns)
                for i in 0..<5 { _ = try await store.createRun(CreateRunRequest(experimentID: "0", userID: "u", runName: "r\(i)", startTime: Int64(100 + i), tags: [])) }
                let first = try await store.searchRuns(try RunSearch(experimentIDs: ["0"], filter: nil, maxResults: 2))
                #expect(first.items.map(\.info.runName) == ["r4", "r3"])
                _ = try await store.createRun(CreateRunRequest(experimentID: "0", userID: "u", runName: "newest", startTime: 200, tags: []))
                let second = try await store.searchRuns(try RunSearch(experimentIDs: ["0"], filter: nil, maxResults: 2, pageToken: first.nextPageToken))
                #expect(second.items.map(\.info.runName) == ["r2", "r1"])
                let byOffset = try await store.searchRuns(try RunSearch(experimentIDs: ["0"], filter: nil, maxResults: 2, pageToken: PageToken.encode(offset: 2)))
                #expect(byOffset.items.map(\.info.runName) == ["r3", "r2"])
                await #expect(throws: SlipwayError.self) {
                    _ = try await store.searchRuns(try RunSearch(experimentIDs: ["0"], filter: nil, maxResults: 2, orderBy: ["metrics.a ASC"], pageToken: first.nextPageToken))
                }
            }
        }
    }

    @Test("Writes are seen by the next search")
    func invalidation() async throws {
        try await TestBackend.sqlite.withDatabase { db in
            let store = SQLTrackingStore(database: db)
            let run = try await store.createRun(CreateRunRequest(experimentID: "0", userID: "u", runName: "r", startTime: 1, tags: []))
            let search = try RunSearch(experimentIDs: ["0"], filter: "metrics.a > 1")
            #expect(try await store.searchRuns(search).items.isEmpty)
            try await store.logMetric(runID: run.info.runID, Metric(key: "a", value: 2, timestamp: 1))
            #expect(try await store.searchRuns(search).items.count == 1)
            try await store.setRunLifecycle(id: run.info.runID, .deleted)
            #expect(try await store.searchRuns(search).items.isEmpty)
            try await store.setRunLifecycle(id: run.info.runID, .active)
            _ = try await store.updateRun(id: run.info.runID, status: nil, endTime: nil, runName: "renamed")
            #expect(try await store.searchRuns(try RunSearch(experimentIDs: ["0"], filter: "attributes.run_name = 'renamed'")).items.count == 1)
            // Encodings kept with cached runs are dropped with them when a run changes.
            let all = try RunSearch(experimentIDs: ["0"], filter: nil)
            #expect(try await store.searchRuns(all, encoding: "name", { $0.info.runName }).items == ["renamed"])
            _ = try await store.updateRun(id: run.info.runID, status: nil, endTime: nil, runName: "again")
            #expect(try await store.searchRuns(all, encoding: "name", { $0.info.runName }).items == ["again"])
        }
    }

    @Test("A commit by another process is seen through SQLite's data_version")
    func otherProcess() async throws {
        let path = "/tmp/slipway-cache-test-\(IDGenerator.hex32()).db"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let first = try await StoreDatabase.open(.sqliteFile(path: path), logger: logger)
        let second = try await StoreDatabase.open(.sqliteFile(path: path), logger: logger)
        let server = SQLTrackingStore(database: first)
        let cli = SQLTrackingStore(database: second)
        let run = try await server.createRun(CreateRunRequest(experimentID: "0", userID: "u", runName: "r", startTime: 1, tags: []))
        let search = try RunSearch(experimentIDs: ["0"], filter: "tags.k = 'v'")
        #expect(try await server.searchRuns(search).items.isEmpty)
        try await cli.setTag(runID: run.info.runID, KeyValue(key: "k", value: "v"))
        #expect(try await server.searchRuns(search).items.count == 1)
        try await first.close()
        try await second.close()
    }
}
