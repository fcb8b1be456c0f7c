import Synchronization

/// Tells watchers that a registered model's aliases, stages or versions changed: the model host in
/// this process through `watch()`, remote replicas through `next(after:timeout:)` (a long poll).
/// Every change bumps a sequence number, so a watcher that was away can tell it missed something.
public final class RegistryChanges: Sendable {
    private struct State {
        var sequence = 0
        var nextID = 0
        var watchers: [Int: AsyncStream<String>.Continuation] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// The number of changes signalled so far.
    public var sequence: Int { state.withLock { $0.sequence } }

    /// Signals every watcher with the model's name.
    public func notify(_ name: String) {
        let watchers = state.withLock { state in
            state.sequence += 1
            return Array(state.watchers.values)
        }
        for continuation in watchers { continuation.yield(name) }
    }

    /// A stream of changed model names, until the caller stops iterating. Bursts collapse to the newest.
    public func watch() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(16))
        let id = state.withLock { state in
            state.nextID += 1
            state.watchers[state.nextID] = continuation
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) } }
        return stream
    }

    /// The sequence number once it differs from `after` (a change, or a watcher that saw another
    /// process's numbers before this one restarted), or the current one when `timeout` passes first
    /// or the waiting task is cancelled (a server shutting down answers its long polls at once).
    public func next(after: Int, timeout: Duration) async -> Int {
        let changes = watch()  // subscribed before reading, so a change in between is not missed
        let current = sequence
        if current != after { return current }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in changes { return }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return sequence
    }
}
