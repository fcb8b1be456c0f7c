import SlipwayCore
import SlipwayStore
import SlipwayTestSupport
import Testing

@Suite("Tracking store (SQLite and PostgreSQL)")
struct TrackingStoreTests {
    func store(_ db: StoreDatabase) -> SQLTrackingStore {
        let clock = SteppingClock()
        return SQLTrackingStore(database: db, now: { clock.now() })
    }

    func newRun(_ store: SQLTrackingStore, experiment: String = "0", name: String? = nil, start: Int64 = 1000) async throws -> Run {
        try await store.createRun(CreateRunRequest(experimentID: experiment, userID: "tester", runName: name, startTime: start, tags: []))
    }

    @Test("Experiment 0 (Default) exists from the start", arguments: TestBackend.available)
    func defaultExperiment(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let experiment = try await store(db).getExperiment(id: "0")
            #expect(experiment.name == "Default")
            #expect(experiment.artifactLocation == "mlflow-artifacts:/0")
        }
    }

    @Test("Experiments: create, get by id and name, duplicates, rename, delete and restore, tags", arguments: TestBackend.available)
    func experiments(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let store = store(db)
            let id = try await store.createExperiment(name: "bike-demand", artifactLocation: nil, tags: [KeyValue(key: "team", value: "a")])
            #expect(id == "1")
            let experiment = try await store.getExperiment(id: id)
            #expect(experiment.artifactLocation == "mlflow-artifacts:/1")
            #expect(experiment.tags == [KeyValue(key: "team", value: "a")])
            #expect(try await store.getExperiment(name: "bike-demand")?.id == id)
            #expect(try await store.getExperiment(name: "nope") == nil)
            await expectError(.resourceAlreadyExists) { _ = try await store.createExperiment(name: "bike-demand", artifactLocation: nil, tags: []) }
            await expectError(.resourceDoesNotExist) { _ = try await store.getExperiment(id: "987654") }
            await expectError(.resourceDoesNotExist) { _ = try await store.getExperiment(id: "abc") }
            await expectError(.invalidParameterValue) { _ = try await store.createExperiment(name: " ", artifactLocation: nil, tags: []) }

            try await store.renameExperiment(id: id, newName: "bikes")
            #expect(try await store.getExperiment(id: id).name == "bikes")
            try await store.setExperimentTag(id: id, tag: KeyValue(key: "team", value: "b"))
            #expect(try await store.getExperiment(id: id).tags == [KeyValue(key: "team", value: "b")])
            try await store.deleteExperimentTag(id: id, key: "team")
            #expect(try await store.getExperiment(id: id).tags.isEmpty)

            try await store.setExperimentLifecycle(id: id, .deleted)
            let active = try await store.searchExperiments(try EntitySearch(.experiments, filter: nil, maxResults: 100), viewType: .activeOnly)
            #expect(active.items.map(\.id) == ["0"])
            try await store.setExperimentLifecycle(id: id, .active)
            await expectError(.invalidParameterValue) { try await store.setExperimentLifecycle(id: "0", .deleted) }
        }
    }

    @Test("Concurrent experiment creation gives distinct ids", arguments: TestBackend.available)
    func concurrentExperiments(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let store = store(db)
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for i in 0..<16 { group.addTask { try await store.createExperiment(name: "e\(i)", artifactLocation: nil, tags: []) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(ids).count == 16)
        }
    }

    @Test("Experiment search: LIKE filter, order, pages", arguments: TestBackend.available)
    func experimentSearch(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let store = store(db)
            for name in ["bike-a", "bike-b", "Bike-c", "iris"] { _ = try await store.createExperiment(name: name, artifactLocation: nil, tags: []) }
            let bikes = try await store.searchExperiments(try EntitySearch(.experiments, filter: "name LIKE 'bike%'", maxResults: 10, orderBy: ["creation_time DESC"], pageToken: nil), viewType: .activeOnly)
            #expect(bikes.items.map(\.name) == ["bike-b", "bike-a"])
            let ci = try await store.searchExperiments(try EntitySearch(.experiments, filter: "name ILIKE 'bike%'", maxResults: 10, orderBy: ["name ASC"], pageToken: nil), viewType: .activeOnly)
            #expect(ci.items.map(\.name) == ["Bike-c", "bike-a", "bike-b"])
            let first = try await store.searchExperiments(try EntitySearch(.experiments, filter: nil, maxResults: 2, orderBy: ["name ASC"], pageToken: nil), viewType: .activeOnly)
            #expect(first.items.map(\.name) == ["Bike-c", "Default"])
            let second = try await store.searchExperiments(try EntitySearch(.experiments, filter: nil, maxResults: 2, orderBy: ["name ASC"], pageToken: first.nextPageToken), viewType: .activeOnly)
            #expect(second.items.map(\.name) == ["bike-a", "bike-b"])
            let third = try await store.searchExperiments(try EntitySearch(.experiments, filter: nil, maxResults: 2, orderBy: ["name ASC"], pageToken: second.nextPageToken), viewType: .activeOnly)
            #expect(third.items.map(\.name) == ["iris"])
            #expect(third.nextPageToken == nil)
        }
    }

    @Test("Runs: create, log a batch, latest metric per key, history, update", arguments: TestBackend.available)
    func runs(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let store = store(db)
            let run = try await newRun(store, name: "xgb-baseline")
            #expect(run.info.artifactURI == "mlflow-artifacts:/0/\(run.info.runID)/artifacts")
            #expect(run.info.runID.count == 32)
            #expect(run.tags.contains(KeyValue(key: "mlflow.runName", value: "xgb-baseline")))
            let id = run.info.runID
            try await store.logBatch(
                runID: id,
                metrics: [
                    Metric(key: "loss", value: 1.0, timestamp: 10, step: 0),
                    Metric(key: "loss", value: 0.5, timestamp: 11, step: 1),
                    Metric(key: "loss", value: 0.9, timestamp: 30, step: 0),
                    Metric(key: "mae", value: .nan, timestamp: 12, step: 0),
                ],
                params: [KeyValue(key: "max_depth", value: "6")],
                tags: [KeyValue(key: "team", value: "a"), KeyValue(key: "team", value: "b")])
            try await store.logMetric(runID: id, Metric(key: "loss", value: 0.25, timestamp: 5, step: 2))
            try await store.logMetric(runID: id, Metric(key: "loss", value: 7, timestamp: 50, step: 1))
            let fetched = try await store.getRun(id: id)
            let loss = fetched.metrics.first { $0.key == "loss" }
            #expect(loss?.value == 0.25 && loss?.step == 2)
            #expect(fetched.metrics.first { $0.key == "mae" }?.value.isNaN == true)
            #expect(fetched.params == [KeyValue(key: "max_depth", value: "6")])
            #expect(fetched.tags.contains(KeyValue(key: "team", value: "b")))

            let history = try await store.metricHistory(runID: id, key: "loss", maxResults: 25_000, pageToken: nil)
            #expect(history.items.map(\.step) == [0, 0, 1, 1, 2])
            let page1 = try await store.metricHistory(runID: id, key: "loss", maxResults: 2, pageToken: nil)
            let page2 = try await store.metricHistory(runID: id, key: "loss", maxResults: 2, pageToken: page1.nextPageToken)
            let page3 = try await store.metricHistory(runID: id, key: "loss", maxResults: 2, pageToken: page2.nextPageToken)
            #expect((page1.items + page2.items + page3.items).map(\.value) == history.items.map(\.value))
            #expect(page3.nextPageToken == nil)

            let info = try await store.updateRun(id: id, status: .finished, endTime: 2000, runName: nil)
            #expect(info.status == .finished && info.endTime == 2000)
            await expectError(.resourceDoesNotExist) { _ = try await store.getRun(id: String(repeating: "0", count: 32)) }
            await expectError(.resourceDoesNotExist) { _ = try await newRun(store, experiment: "987654") }
        }
    }

    @Test("A batch is all or nothing: a changed param stores none of the batch", arguments: TestBackend.available)
    func batchAtomicity(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let store = store(db)
            let id = try await newRun(store).info.runID
            try await store.logParam(runID: id, KeyValue(key: "model_type", value: "xgb"))
            await expectError(.invalidParameterValue) {
                try await store.logBatch(runID: id, metrics: [Metric(key: "m", value: 1, timestamp: 1)],
                                         params: [KeyValue(key: "model_type", value: "something-else")], tags: [KeyValue(key: "t", value: "v")])
            }
            let run = try await store.getRun(id: id)
            #expect(run.metrics.isEmpty)
            #expect(!run.tags.contains { $0.key == "t" })
            #expect(run.params == [KeyValue(key: "model_type", value: "xgb")])
            // Logging the same value again is fine.
            try await store.logParam(runID: id, KeyValue(key: "model_type", value: "xgb"))
            await expectError(.invalidParameterValue) {
                try await store.logBatch(runID: id, metrics: [], params: [KeyValue(key: "a", value: "1"), KeyValue(key: "a", value: "2")], tags: [])
            }
        }
    }

    @Test("Deleted runs refuse writes and leave active searches; restore brings them back", arguments: TestBackend.available)
    func deleteRestore(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let store = store(db)
            let id = try await newRun(store).info.runID
            try await store.setRunLifecycle(id: id, .deleted)
            await expectError(.invalidParameterValue) { try await store.setTag(runID: id, KeyValue(key: "a", value: "b")) }
            #expect(try await store.searchRuns(try RunSearch(experimentIDs: ["0"], filter: nil)).items.isEmpty)
            #expect(try await store.searchRuns(try RunSearch(experimentIDs: ["0"], filter: nil, viewType: .deletedOnly)).items.count == 1)
            try await store.setRunLifecycle(id: id, .active)
            #expect(try await store.searchRuns(try RunSearch(experimentIDs: ["0"], filter: nil)).items.count == 1)
        }
    }

    @Test("Run search: filters on metrics, params, tags, attributes; OR, IN, parentheses; order and pages", arguments: TestBackend.available)
    func runSearch(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let store = store(db)
            var ids: [String] = []
            for i in 0..<6 {
                let id = try await newRun(store, name: "run-\(i)", start: Int64(1000 + i)).info.runID
                ids.append(id)
                var metrics = [Metric(key: "rmse", value: Double(10 - i), timestamp: 1)]
                if i == 5 { metrics = [] }
                try await store.logBatch(runID: id, metrics: metrics,
                                         params: [KeyValue(key: "model", value: i % 2 == 0 ? "xgb" : "lgbm")],
                                         tags: [KeyValue(key: "team", value: i < 3 ? "a" : "b")])
            }
            func names(_ filter: String?, _ order: [String] = [], max: Int = 100) async throws -> [String] {
                try await store.searchRuns(try RunSearch(experimentIDs: ["0"], filter: filter, maxResults: max, orderBy: order)).items.map(\.info.runName)
            }
            #expect(try await names(nil) == ["run-5", "run-4", "run-3", "run-2", "run-1", "run-0"])
            #expect(try await names("metrics.rmse < 8", ["metrics.rmse ASC"]) == ["run-4", "run-3"])
            #expect(try await names("metrics.rmse >= 8 and params.model = 'xgb'") == ["run-2", "run-0"])
            #expect(try await names("params.model = 'lgbm' OR tags.team = 'a'", ["attributes.run_name ASC"]) == ["run-0", "run-1", "run-2", "run-3", "run-5"])
            #expect(try await names("(params.model = 'lgbm' OR tags.team = 'a') AND metrics.rmse > 8.5", ["run_name ASC"]) == ["run-0", "run-1"])
            #expect(try await names("attributes.run_name IN ('run-1', 'run-4')") == ["run-4", "run-1"])
            #expect(try await names("attributes.run_name NOT IN ('run-1', 'run-4') AND tags.team != 'b'") == ["run-2", "run-0"])
            #expect(try await names("attributes.run_name LIKE 'run-%' AND attributes.run_name ILIKE 'RUN-3'") == ["run-3"])
            #expect(try await names("attributes.run_id = '\(ids[2])'") == ["run-2"])
            #expect(try await names("attributes.start_time > 1003") == ["run-5", "run-4"])
            // Runs without the metric sort last in both directions.
            #expect(try await names(nil, ["metrics.rmse DESC"]).last == "run-5")
            #expect(try await names(nil, ["metrics.rmse ASC"]) == ["run-4", "run-3", "run-2", "run-1", "run-0", "run-5"])
            #expect(try await names(nil, ["params.model ASC", "metrics.rmse DESC"]) == ["run-1", "run-3", "run-5", "run-0", "run-2", "run-4"])
            // Pages.
            var seen: [String] = []
            var token: String?
            repeat {
                let page = try await store.searchRuns(try RunSearch(experimentIDs: ["0"], filter: nil, maxResults: 4, orderBy: ["metrics.rmse ASC"], pageToken: token))
                seen += page.items.map(\.info.runName)
                token = page.nextPageToken
            } while token != nil
            #expect(seen == ["run-4", "run-3", "run-2", "run-1", "run-0", "run-5"])
            // A search returns whole runs.
            let full = try await store.searchRuns(try RunSearch(experimentIDs: ["0"], filter: "attributes.run_name = 'run-0'")).items[0]
            #expect(full.params == [KeyValue(key: "model", value: "xgb")])
            #expect(full.metrics.map(\.key) == ["rmse"])
        }
    }

    @Test("Inputs and outputs of a run", arguments: TestBackend.available)
    func inputsOutputs(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let store = store(db)
            let id = try await newRun(store).info.runID
            let dataset = Dataset(name: "train", digest: "abc", sourceType: "code", source: "{}", schema: "{}", profile: nil)
            try await store.logInputs(runID: id, datasets: [DatasetInput(dataset: dataset, tags: [KeyValue(key: "mlflow.data.context", value: "training")])], models: [])
            try await store.logOutputs(runID: id, models: [ModelOutput(modelID: "m-1", step: 0)])
            let run = try await store.getRun(id: id)
            #expect(run.inputs.first?.dataset == dataset)
            #expect(run.inputs.first?.tags == [KeyValue(key: "mlflow.data.context", value: "training")])
            #expect(run.outputs == [ModelOutput(modelID: "m-1", step: 0)])
            let found = try await store.searchRuns(try RunSearch(experimentIDs: ["0"], filter: "datasets.context = 'training' AND datasets.name = 'train'"))
            #expect(found.items.count == 1)
        }
    }

    @Test("Logged models: create, finalize, tags, metrics linked, search by name", arguments: TestBackend.available)
    func loggedModels(_ backend: TestBackend) async throws {
        try await backend.withDatabase { db in
            let store = store(db)
            let id = try await store.createExperiment(name: "iris", artifactLocation: nil, tags: [])
            let run = try await newRun(store, experiment: id)
            let model = try await store.createLoggedModel(CreateLoggedModelRequest(
                experimentID: id, name: "model", modelType: nil, sourceRunID: run.info.runID, params: [KeyValue(key: "a", value: "1")], tags: []))
            #expect(model.status == .pending)
            #expect(model.artifactURI == "mlflow-artifacts:/\(id)/models/\(model.modelID)/artifacts")
            #expect(model.modelID.hasPrefix("m-"))
            try await store.logMetric(runID: run.info.runID, Metric(key: "acc", value: 0.9, timestamp: 1, modelID: model.modelID))
            _ = try await store.finalizeLoggedModel(id: model.modelID, status: .ready)
            try await store.setLoggedModelTags(id: model.modelID, tags: [KeyValue(key: "k", value: "v")])
            let fetched = try await store.getLoggedModel(id: model.modelID)
            #expect(fetched.status == .ready)
            #expect(fetched.tags == [KeyValue(key: "k", value: "v")])
            #expect(fetched.params == [KeyValue(key: "a", value: "1")])
            #expect(fetched.metrics.map(\.key) == ["acc"])
            #expect(fetched.metrics.first?.runID == run.info.runID)
            let search = try EntitySearch(.loggedModels, filter: "name = 'model'", maxResults: 10)
            #expect(try await store.searchLoggedModels(experimentIDs: [id], search: search).items.map(\.modelID) == [model.modelID])
            #expect(try await store.searchLoggedModels(experimentIDs: ["0"], search: search).items.isEmpty)
            await expectError(.resourceDoesNotExist) { _ = try await store.getLoggedModel(id: "m-nope") }
        }
    }
}
