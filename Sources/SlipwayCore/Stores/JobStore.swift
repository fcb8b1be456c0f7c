/// Scheduled jobs and their run history. `claim` and `start` are what keep a job to one run at a
/// time, across every process sharing the store.
public protocol JobStore: Sendable {
    /// - Throws: RESOURCE_ALREADY_EXISTS for a name in use.
    func createJob(_ job: Job) async throws
    func getJob(name: String) async throws -> Job
    func listJobs() async throws -> [Job]
    func deleteJob(name: String) async throws
    /// Enabled jobs whose next run is due by `now`.
    func dueJobs(now: Int64) async throws -> [Job]
    /// Moves a due job's next run from `expected` to `next`; false when another process got there first.
    func claim(name: String, expected: Int64, next: Int64?) async throws -> Bool
    /// Records a run as started, unless one of the same job is still running (started within
    /// `staleAfter` ms: an older one is taken as abandoned by a dead process and marked failed):
    /// then the new run is recorded as skipped. Returns the run as recorded.
    func start(job: String, trigger: JobRun.Trigger, at time: Int64, staleAfter: Int64) async throws -> JobRun
    func finish(runID: String, status: JobRun.Status, at time: Int64, output: String) async throws
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
