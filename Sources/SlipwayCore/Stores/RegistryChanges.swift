import Synchronization

/// Tells watchers in this process that a registered model's aliases, stages or versions changed,
/// so the model host reacts to a registry write at once instead of at its next poll.
public final class RegistryChanges: Sendable {
    private let watchers = Mutex<[Int: AsyncStream<String>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)

    public init() {}

    /// Signals every watcher with the model's name.
    public func notify(_ name: String) {
        for continuation in watchers.withLock({ Array($0.values) }) { continuation.yield(name) }
    }

    /// A stream of changed model names, until the caller stops iterating. Bursts collapse to the newest.
    public func watch() -> AsyncStream<String> {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(16))
        continuation.onTermination = { [weak self] _ in _ = self?.watchers.withLock { $0.removeValue(forKey: id) } }
        watchers.withLock { $0[id] = continuation }
        return stream
    }
}
