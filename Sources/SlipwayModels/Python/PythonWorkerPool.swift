import Dispatch
import Foundation
import SlipwayCore
import Synchronization

/// The worker processes of one model version. A batch takes an idle worker (or waits for one, up
/// to the timeout), runs on the pool's threads, and gives the worker back. Requests that wait
/// while every worker is busy are coalesced: a freed worker takes all of them (up to
/// `coalescedRows`) as one batch and each gets its own rows' answers, so a model whose call costs
/// more than its rows (pandas, scikit-learn's per-call overhead) serves many requests per call.
/// A worker that dies or hangs fails its batch with a clear error and is replaced in the
/// background; the pool never leaves a caller waiting forever. Closing the pool (when its version
/// is no longer served and the last request on it is done) stops every worker.
final class PythonWorkerPool: Sendable {
    typealias Answer = (numbers: [Double], width: Int, labels: [String]?)

    /// The most rows a freed worker takes from waiting requests in one call.
    static let coalescedRows = 4096

    let runtime: PythonRuntime
    let directory: String
    let hello: PythonWorker.Hello
    private let queue = DispatchQueue(label: "slipway.python-workers", attributes: .concurrent)
    private let state = Mutex(State())

    private struct State {
        var idle: [PythonWorker] = []
        var busy: [Int32: PythonWorker] = [:]
        var waiters: [(id: Int, give: @Sendable (PythonWorker?) -> Void)] = []
        /// Requests of the async path waiting for a worker, oldest first.
        var pending: [Pending] = []
        var nextWaiter = 0
        var starting = 0
        var closed = false
        var replaced = 0
    }

    /// Starts the first worker (which must load the model) and the others in the background.
    init(runtime: PythonRuntime, directory: String) throws(SlipwayError) {
        let (first, hello) = try PythonWorker.start(runtime: runtime, directory: directory)
        self.runtime = runtime
        self.directory = directory
        self.hello = hello
        state.withLock { $0.idle = [first] }
        for _ in 1..<runtime.workers { startWorker() }
    }

    deinit { close() }

    /// Stops every worker; batches still running fail, and so do requests still waiting.
    func close() {
        let (workers, waiting) = state.withLock { s -> ([PythonWorker], [Pending]) in
            s.closed = true
            let all = s.idle + Array(s.busy.values)
            s.idle = []
            s.busy = [:]
            defer { s.pending = [] }
            return (all, s.pending)
        }
        for worker in workers { worker.kill() }
        for request in waiting { request.resume(.failure(unavailable())) }
    }

    /// Workers alive now (idle or busy), and how many were replaced after a failure.
    var counts: (alive: Int, replaced: Int) {
        state.withLock { ($0.idle.count + $0.busy.count, $0.replaced) }
    }

    var pids: [Int32] { state.withLock { $0.idle.map(\.pid) + Array($0.busy.keys) } }

    /// A request waiting for a worker, and how to answer it.
    struct Pending: Sendable {
        let id: Int
        let features: FeatureMatrix
        let resume: @Sendable (Result<Answer, SlipwayError>) -> Void
    }

    /// Runs a batch on a worker, waiting for an idle one without holding a thread; requests that
    /// wait together run together.
    func predict(_ features: FeatureMatrix) async throws(SlipwayError) -> Answer {
        let result: Result<Answer, SlipwayError> = await withCheckedContinuation { continuation in
            enqueue(features) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    private func enqueue(_ features: FeatureMatrix, resume: @escaping @Sendable (Result<Answer, SlipwayError>) -> Void) {
        enum Outcome { case closed, run(PythonWorker, [Pending]), wait(Int) }
        let outcome = state.withLock { s -> Outcome in
            if s.closed { return .closed }
            let id = s.nextWaiter
            s.nextWaiter += 1
            let request = Pending(id: id, features: features, resume: resume)
            if let worker = s.idle.popLast() {
                s.busy[worker.pid] = worker
                return .run(worker, [request])
            }
            s.pending.append(request)
            return .wait(id)
        }
        switch outcome {
        case .closed: resume(.failure(unavailable()))
        case .run(let worker, let batch): queue.async { self.run(batch, on: worker) }
        case .wait(let id):
            queue.asyncAfter(deadline: .now() + runtime.timeoutSeconds) { [weak self] in
                guard let self else { return }
                let expired = self.state.withLock { s -> Pending? in
                    guard let at = s.pending.firstIndex(where: { $0.id == id }) else { return nil }
                    return s.pending.remove(at: at)
                }
                expired?.resume(.failure(self.unavailable()))
            }
        }
    }

    /// Waiting requests run as one batch: their rows side by side, each answered with its own.
    /// When the model refuses the combined batch, each request runs alone, so one bad request
    /// does not fail the others.
    private func run(_ batch: [Pending], on worker: PythonWorker) {
        if batch.count == 1 {
            let result = attempt(batch[0].features, on: worker)
            finish(worker, lost: result.lost)
            return batch[0].resume(result.answer)
        }
        var values: [Double] = []
        for request in batch { values += request.features.values }
        let rows = batch.reduce(0) { $0 + $1.features.rows }
        let result = (try? FeatureMatrix(rows: rows, columns: batch[0].features.columns, values: values)).map { attempt($0, on: worker) }
        if case .success(let answer)? = result?.answer {
            finish(worker, lost: false)
            var start = 0
            for request in batch {
                let n = request.features.rows
                let numbers = answer.labels == nil ? Array(answer.numbers[(start * answer.width)..<((start + n) * answer.width)]) : []
                request.resume(.success((numbers, answer.width, answer.labels.map { Array($0[start..<(start + n)]) })))
                start += n
            }
            return
        }
        if let result, result.lost {
            finish(worker, lost: true)
            for request in batch { request.resume(result.answer) }
            return
        }
        // Refused together: one at a time on the same worker.
        for (i, request) in batch.enumerated() {
            let alone = attempt(request.features, on: worker)
            request.resume(alone.answer)
            if alone.lost {
                finish(worker, lost: true)
                for rest in batch[(i + 1)...] { rest.resume(alone.answer) }
                return
            }
        }
        finish(worker, lost: false)
    }

    /// Runs a batch on a worker, blocking the calling thread (the command line, evaluation, the smoke test).
    func predictBlocking(_ features: FeatureMatrix) throws(SlipwayError) -> Answer {
        let done = DispatchSemaphore(value: 0)
        let taken = Mutex<PythonWorker?>(nil)
        checkout { worker in
            taken.withLock { $0 = worker }
            done.signal()
        }
        done.wait()
        guard let worker = taken.withLock({ $0 }) else { throw unavailable() }
        return try run(features, on: worker).get()
    }

    private func unavailable() -> SlipwayError {
        SlipwayError(.temporarilyUnavailable, "No Python worker for '\(directory)' became free within \(runtime.timeoutSeconds) s")
    }

    /// One batch on a taken worker; the worker goes back to the pool, or is replaced when it failed.
    private func run(_ features: FeatureMatrix, on worker: PythonWorker) -> Result<Answer, SlipwayError> {
        let result = attempt(features, on: worker)
        finish(worker, lost: result.lost)
        return result.answer
    }

    /// One call on a worker the caller holds; `lost` when the worker died or hung.
    private func attempt(_ features: FeatureMatrix, on worker: PythonWorker) -> (answer: Result<Answer, SlipwayError>, lost: Bool) {
        do {
            return (.success(try worker.predict(features, timeout: runtime.timeoutSeconds)), false)
        } catch {
            guard case .workerLost(let why) = error else {
                return (.failure(.invalidParameter("The model refused the batch: \(PythonWorker.describe(error))")), false)
            }
            return (.failure(SlipwayError(.temporarilyUnavailable, "The Python worker serving '\(directory)' failed: \(why); it is being replaced")), true)
        }
    }

    /// Gives a held worker back, or kills and replaces it when it was lost.
    private func finish(_ worker: PythonWorker, lost: Bool) {
        guard lost else { return checkin(worker) }
        worker.kill()
        state.withLock {
            $0.busy[worker.pid] = nil
            $0.replaced += 1
        }
        startWorker()
    }

    /// Hands `give` an idle worker now, or the next one freed; `nil` after the timeout or once closed.
    private func checkout(_ give: @escaping @Sendable (PythonWorker?) -> Void) {
        enum Outcome { case now(PythonWorker?), wait(Int) }
        let outcome = state.withLock { s -> Outcome in
            if s.closed { return .now(nil) }
            if let worker = s.idle.popLast() {
                s.busy[worker.pid] = worker
                return .now(worker)
            }
            let id = s.nextWaiter
            s.nextWaiter += 1
            s.waiters.append((id, give))
            return .wait(id)
        }
        switch outcome {
        case .now(let worker): give(worker)
        case .wait(let id):
            queue.asyncAfter(deadline: .now() + runtime.timeoutSeconds) { [weak self] in
                guard let self else { return }
                let expired = self.state.withLock { s -> (@Sendable (PythonWorker?) -> Void)? in
                    guard let at = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return s.waiters.remove(at: at).give
                }
                expired?(nil)
            }
        }
    }

    /// Gives a worker to the waiting requests (all of them, up to `coalescedRows`), or to the first
    /// blocking waiter, or back to the idle list.
    private func checkin(_ worker: PythonWorker) {
        enum Next { case batch([Pending]), give(@Sendable (PythonWorker?) -> Void), idle, closed }
        let next = state.withLock { s -> Next in
            if s.closed { return .closed }
            if !s.pending.isEmpty {
                s.busy[worker.pid] = worker
                var taken = 0, rows = 0
                while taken < s.pending.count, taken == 0 || rows + s.pending[taken].features.rows <= Self.coalescedRows {
                    rows += s.pending[taken].features.rows
                    taken += 1
                }
                let batch = Array(s.pending.prefix(taken))
                s.pending.removeFirst(taken)
                return .batch(batch)
            }
            if !s.waiters.isEmpty {
                s.busy[worker.pid] = worker
                return .give(s.waiters.removeFirst().give)
            }
            s.busy[worker.pid] = nil
            s.idle.append(worker)
            return .idle
        }
        switch next {
        case .batch(let batch): queue.async { self.run(batch, on: worker) }
        case .give(let waiter): waiter(worker)
        case .closed: worker.kill()
        case .idle: break
        }
    }

    /// Starts a worker in the background; one that cannot start is tried again a second later
    /// while the pool is open, so a transient failure heals.
    private func startWorker() {
        state.withLock { $0.starting += 1 }
        let (runtime, directory) = (runtime, directory)
        queue.async { [weak self] in
            do {
                let (worker, _) = try PythonWorker.start(runtime: runtime, directory: directory)
                guard let self else { return worker.kill() }
                self.state.withLock { $0.starting -= 1 }
                self.checkin(worker)
            } catch {
                guard let self else { return }
                let open = self.state.withLock { s -> Bool in
                    s.starting -= 1
                    return !s.closed
                }
                if open { self.queue.asyncAfter(deadline: .now() + 1) { [weak self] in self?.startWorker() } }
            }
        }
    }
}
