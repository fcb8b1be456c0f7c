import Synchronization

/// A clock that advances one millisecond per reading, so ordering by time is deterministic.
public final class SteppingClock: Sendable {
    private let value: Mutex<Int64>

    public init(_ start: Int64 = 1_700_000_000_000) {
        value = Mutex(start)
    }

    public func now() -> Int64 { value.withLock { $0 += 1; return $0 } }
}

/// A clock the test moves by hand, in milliseconds since the Unix epoch.
public final class TestClock: Sendable {
    private let value: Mutex<Int64>

    public init(_ start: Int64) {
        value = Mutex(start)
    }

    public func now() -> Int64 { value.withLock { $0 } }
    public func set(_ time: Int64) { value.withLock { $0 = time } }
    public func advance(milliseconds: Int64) { value.withLock { $0 += milliseconds } }
}
