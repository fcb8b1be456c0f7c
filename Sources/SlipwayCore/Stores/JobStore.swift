/// Scheduled jobs and their run history. `claim` and `start` are what keep a job to one run at a
/// time, across every process sharing the store.
public protocol JobStore: Sendable {
    /// - Throws: RESOURCE_ALREADY_EXISTS for a name in use; NOT_FOUND for a job in `after` that
    ///   does not exist; INVALID_PARAMETER_VALUE when `after` would close a cycle.
    func createJob(_ job: Job) async throws
    func getJob(name: String) async throws -> Job
    func listJobs() async throws -> [Job]
    /// - Throws: INVALID_PARAMETER_VALUE while another job runs after it.
    func deleteJob(name: String) async throws
    /// Makes the pipeline's jobs what `pipeline` says, in one transaction: new jobs are created,
    /// changed ones updated (their schedule's next run replanned when it changed; what has
    /// triggered them kept), the pipeline's jobs it no longer names removed, and the change
    /// recorded as an `ml.pipeline.applied.v1` event. Nothing is applied when anything is wrong.
    /// - Throws: NOT_FOUND for a job in `after` that does not exist; INVALID_PARAMETER_VALUE for a
    ///   cycle, or a job name another pipeline (or none) holds; INVALID_PARAMETER_VALUE when a job outside it
    ///   runs after a job it removes.
    func applyPipeline(_ pipeline: Pipeline, at time: Int64) async throws -> PipelineChange
    /// Enabled jobs whose next run is due by `now`.
    func dueJobs(now: Int64) async throws -> [Job]
    /// Moves a due job's next run from `expected` to `next`; false when another process got there first.
    func claim(name: String, expected: Int64, next: Int64?) async throws -> Bool
    /// Records a run as started, unless one of the same job is still running: then the new run is
    /// recorded as skipped. A run whose heartbeat stopped `staleAfter` ms ago is taken as
    /// abandoned by a dead process and marked so first. Returns the run as recorded.
    func start(job: String, trigger: JobRun.Trigger, at time: Int64, staleAfter: Int64) async throws -> JobRun
    /// Records that a running run's process is alive.
    func heartbeat(runID: String, at time: Int64) async throws
    /// Marks every running run whose heartbeat stopped `staleAfter` ms before `time` abandoned; returns them.
    func abandonStale(at time: Int64, staleAfter: Int64) async throws -> [JobRun]
    func finish(runID: String, status: JobRun.Status, at time: Int64, output: String, details: JSONValue?) async throws
    /// Records a run that did not start, with the reason (`output`).
    func recordSkipped(job: String, trigger: JobRun.Trigger, at time: Int64, output: String) async throws -> JobRun
    /// The newest finished run of each named job that has one.
    func latestFinishedRuns(jobs: [String]) async throws -> [String: JobRun]
    /// Moves a job's `after` mark (the finish time of the newest upstream run it has answered)
    /// from `expected` to `next`; false when another process got there first.
    func claimAfter(name: String, expected: Int64?, next: Int64) async throws -> Bool
    /// Claims the events of a job's `on` type written since it last answered them; false when
    /// there are none, or another process got there first.
    func claimEvent(name: String) async throws -> Bool
    /// The `after` mark: the finish time of the newest upstream run the job has answered.
    func afterMark(name: String) async throws -> Int64?
    /// - Throws: NOT_FOUND for an unknown run.
    func getRun(id: String) async throws -> JobRun
    /// Runs of a job, newest first.
    func listRuns(job: String, maxResults: Int) async throws -> [JobRun]
    /// The files a predict job has read, oldest first.
    func processedFiles(job: String) async throws -> [ProcessedFile]
    /// Records files a predict job has read (a path read again replaces its record).
    func recordProcessed(job: String, files: [ProcessedFile], at time: Int64) async throws
    /// The highest watermark a predict job over a SQL source has read, as text.
    func watermark(job: String) async throws -> String?
    func recordWatermark(job: String, value: String, runID: String, at time: Int64) async throws
}

extension JobStore {
    public func finish(runID: String, status: JobRun.Status, at time: Int64, output: String) async throws {
        try await finish(runID: runID, status: status, at: time, output: output, details: nil)
    }
}
