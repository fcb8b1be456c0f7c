import Dispatch
import Foundation
import SlipwayCore
import Synchronization

/// The worker processes of one model version. A batch takes an idle worker (or waits for one, up
/// to the timeout), runs on the pool's threads, and gives the worker back. A worker that dies or
/// hangs fails its batch with a clear error and is replaced in the background; the pool never
/// leaves a caller waiting forever. Closing the pool (when its version is no longer served and
/// the last request on it is done) stops every worker.
final class PythonWorkerPool: Sendable {
    let runtime: PythonRuntime
    let directory: String
    let hello: PythonWorker.Hello
    private let queue = DispatchQueue(label: "slipway.python-workers", attributes: .concurrent)
    private let state = Mutex(State())

    private struct State {
        var idle: [PythonWorker] = []
        var busy: [Int32: PythonWorker] = [:]
        var waiters: [(id: Int, give: @Sendable (PythonWorker?) -> Void)] = []
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

    /// Stops every worker; batches still running fail.
    func close() {
        let workers = state.withLock { s -> [PythonWorker] in
            s.closed = true
            let all = s.idle + Array(s.busy.values)
            s.idle = []
            s.busy = [:]
            return all
        }
        for worker in workers { worker.kill() }
    }

    /// Workers alive now (idle or busy), and how many were replaced after a failure.
    var counts: (alive: Int, replaced: Int) {
        state.withLock { ($0.idle.count + $0.busy.count, $0.replaced) }
    }

    var pids: [Int32] { state.withLock { $0.idle.map(\.pid) + Array($0.busy.keys) } }

    /// Runs a batch on a worker, waiting for an idle one without holding a thread.
    func predict(_ features: FeatureMatrix) async throws(SlipwayError) -> (numbers: [Double], width: Int, labels: [String]?) {
        let result: Result<(numbers: [Double], width: Int, labels: [String]?), SlipwayError> = await withCheckedContinuation { continuation in
            checkout { worker in
                guard let worker else {
                    continuation.resume(returning: .failure(self.unavailable()))
                    return
                }
                self.queue.async { continuation.resume(returning: self.run(features, on: worker)) }
            }
        }
        return try result.get()
    }

    /// Runs a batch on a worker, blocking the calling thread (the command line, evaluation, the smoke test).
    func predictBlocking(_ features: FeatureMatrix) throws(SlipwayError) -> (numbers: [Double], width: Int, labels: [String]?) {
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
    private func run(_ features: FeatureMatrix, on worker: PythonWorker) -> Result<(numbers: [Double], width: Int, labels: [String]?), SlipwayError> {
        do {
            let answer = try worker.predict(features, timeout: runtime.timeoutSeconds)
            checkin(worker)
            return .success(answer)
        } catch {
            guard case .workerLost(let why) = error else {
                checkin(worker)
                return .failure(.invalidParameter("The model refused the batch: \(PythonWorker.describe(error))"))
            }
            worker.kill()
            state.withLock {
                $0.busy[worker.pid] = nil
                $0.replaced += 1
            }
            startWorker()
            return .failure(SlipwayError(.temporarilyUnavailable, "The Python worker serving '\(directory)' failed: \(why); it is being replaced"))
        }
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

    /// Gives a worker to the first waiter, or back to the idle list.
    private func checkin(_ worker: PythonWorker) {
        let waiter = state.withLock { s -> (@Sendable (PythonWorker?) -> Void)? in
            if s.closed { return nil }
            if !s.waiters.isEmpty {
                s.busy[worker.pid] = worker
                return s.waiters.removeFirst().give
            }
            s.busy[worker.pid] = nil
            s.idle.append(worker)
            return nil
        }
        if let waiter { waiter(worker) } else if state.withLock({ $0.closed }) { worker.kill() }
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
