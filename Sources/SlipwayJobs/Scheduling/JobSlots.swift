/// How many jobs one process runs at once: a run waits for a free slot before it starts, so that a
/// burst of due jobs (a pipeline's fan-out, a restart after downtime) does not start them all.
public actor JobSlots {
    public let limit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Slots no run holds or waits for.
    public var free: Int { max(0, limit - running - waiting.count) }

    /// Runs `body` in a slot, waiting for one first.
    public nonisolated func withSlot<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        do {
            let value = try await body()
            await release()
            return value
        } catch {
            await release()
            throw error
        }
    }

    func acquire() async {
        if running < limit {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()  // the slot passes on
        }
    }
}
