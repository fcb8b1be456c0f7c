import Synchronization

/// The token buckets of every (token or address, class) pair, and the failed-login count of every
/// address, in memory. Bounded: past `capacity` subjects, those whose buckets have refilled (idle)
/// are forgotten, and if that is not enough, all of them.
final class RateLimiter: Sendable {
    /// What a request may do.
    enum Decision: Equatable {
        case allowed
        /// Over the limit: may retry after this many milliseconds.
        case limited(retryAfterMilliseconds: Int64)
    }

    struct Key: Hashable {
        let subject: String
        let rateClass: RateClass
    }

    struct Bucket {
        var tokens: Double
        var updated: Int64
    }

    struct Failures {
        var count: Int
        var last: Int64
        var blockedUntil: Int64
    }

    let settings: RateLimits
    /// Each class's limit, by `RateClass.index`: one array read per request, no hashing.
    let table: [RateLimit?]
    let capacity: Int
    private let buckets = Mutex<[Key: Bucket]>([:])
    private let failures = Mutex<[String: Failures]>([:])

    init(settings: RateLimits, capacity: Int = 100_000) {
        self.settings = settings
        self.table = RateClass.allCases.map { settings.limits[$0] }
        self.capacity = capacity
    }

    /// Whether `rateClass` has a limit at all.
    func limits(_ rateClass: RateClass) -> Bool { table[rateClass.index] != nil }

    /// Takes one request of `rateClass` for `subject` (a token id, or a client address) at `now`.
    func take(_ subject: String, _ rateClass: RateClass, at now: Int64) -> Decision {
        guard let limit = table[rateClass.index] else { return .allowed }
        let size = Double(limit.requests)
        let perMillisecond = size / Double(limit.windowMilliseconds)
        return buckets.withLock { buckets in
            let key = Key(subject: subject, rateClass: rateClass)
            var bucket = buckets[key] ?? Bucket(tokens: size, updated: now)
            bucket.tokens = min(size, bucket.tokens + Double(max(0, now - bucket.updated)) * perMillisecond)
            bucket.updated = now
            let decision: Decision
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                decision = .allowed
            } else {
                decision = .limited(retryAfterMilliseconds: Int64(((1 - bucket.tokens) / perMillisecond).rounded(.up)))
            }
            if buckets.count >= capacity && buckets[key] == nil { forgetIdle(&buckets, at: now) }
            buckets[key] = bucket
            return decision
        }
    }

    /// Whether `address` must wait before its credentials are checked again, after failed logins.
    func loginBlocked(_ address: String, at now: Int64) -> Decision {
        failures.withLock { failures in
            guard let entry = failures[address], entry.blockedUntil > now else { return .allowed }
            return .limited(retryAfterMilliseconds: entry.blockedUntil - now)
        }
    }

    /// Counts a failed login from `address`. Past the allowed count each failure blocks the address
    /// for twice as long as the last, up to the longest backoff; a quiet spell as long as that
    /// longest backoff starts the count afresh. A success does not: a caller holding one good token
    /// could otherwise reset the count between guesses at others.
    func loginFailed(_ address: String, at now: Int64) {
        failures.withLock { failures in
            var entry = failures[address] ?? Failures(count: 0, last: now, blockedUntil: 0)
            if now - entry.last > settings.longestBackoffMilliseconds { entry.count = 0 }
            entry.count += 1
            entry.last = now
            let over = entry.count - settings.failedLoginsBeforeBackoff
            if over >= 0 {
                let wait = settings.firstBackoffMilliseconds << Int64(min(over, 30))
                entry.blockedUntil = now + min(wait, settings.longestBackoffMilliseconds)
            }
            if failures.count >= capacity && failures[address] == nil {
                failures = failures.filter { now - $0.value.last <= settings.longestBackoffMilliseconds }
                if failures.count >= capacity { failures.removeAll(keepingCapacity: true) }
            }
            failures[address] = entry
        }
    }

    /// Drops the buckets that are full again (nobody used them for a whole window); all of them if
    /// that frees nothing.
    private func forgetIdle(_ buckets: inout [Key: Bucket], at now: Int64) {
        buckets = buckets.filter { key, bucket in
            guard let limit = table[key.rateClass.index] else { return false }
            return now - bucket.updated < limit.windowMilliseconds
        }
        if buckets.count >= capacity { buckets.removeAll(keepingCapacity: true) }
    }
}
