import Synchronization

/// Tells watchers in this process that a registered model's aliases, stages or versions changed,
/// so the model host reacts to a registry write at once instead of at its next poll.
public final class RegistryChanges: Sendable {
    private let watchers = Mutex<(nextID: Int, byID: [Int: AsyncStream<String>.Continuation])>((0, [:]))

    public init() {}

    /// Signals every watcher with the model's name.
    public func notify(_ name: String) {
        for continuation in watchers.withLock({ Array($0.byID.values) }) { continuation.yield(name) }
    }

    /// A stream of changed model names, until the caller stops iterating. Bursts collapse to the newest.
    public func watch() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(16))
        let id = watchers.withLock { watchers in
            watchers.nextID += 1
            watchers.byID[watchers.nextID] = continuation
            return watchers.nextID
        }
        continuation.onTermination = { [weak self] _ in _ = self?.watchers.withLock { $0.byID.removeValue(forKey: id) } }
        return stream
    }
}
