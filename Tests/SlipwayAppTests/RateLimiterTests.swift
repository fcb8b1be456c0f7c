@testable import SlipwayHTTP
import SlipwayCore
import Testing

@Suite("Rate limits: token buckets per subject and class, failed-login backoff")
struct RateLimiterTests {
    static let settings = RateLimits(
        limits: [.read: RateLimit(requests: 4, windowMilliseconds: 1000), .promote: RateLimit(requests: 2, windowMilliseconds: 60_000)],
        failedLoginsBeforeBackoff: 3, firstBackoffMilliseconds: 1000, longestBackoffMilliseconds: 8000)

    @Test("A bucket holds a window's worth, refills smoothly, and says when the next request fits")
    func buckets() {
        let limiter = RateLimiter(settings: Self.settings)
        for _ in 0..<4 { #expect(limiter.take("t1", .read, at: 0) == .allowed) }
        #expect(limiter.take("t1", .read, at: 0) == .limited(retryAfterMilliseconds: 250))
        #expect(limiter.take("t1", .read, at: 100) == .limited(retryAfterMilliseconds: 150))
        #expect(limiter.take("t1", .read, at: 250) == .allowed)
        // Another token, another class, an unlimited class: their own buckets.
        #expect(limiter.take("t2", .read, at: 250) == .allowed)
        #expect(limiter.take("t1", .promote, at: 250) == .allowed)
        #expect(limiter.take("t1", .predict, at: 250) == .allowed)
        // A long pause refills no more than the bucket holds.
        for _ in 0..<4 { #expect(limiter.take("t1", .read, at: 100_000) == .allowed) }
        #expect(limiter.take("t1", .read, at: 100_000) != .allowed)
        // A per-minute limit waits a minute's share.
        #expect(limiter.take("t1", .promote, at: 250) == .allowed)
        #expect(limiter.take("t1", .promote, at: 250) == .limited(retryAfterMilliseconds: 30_000))
    }

    @Test("Memory stays bounded: idle buckets are forgotten, then all of them")
    func bounded() {
        let limiter = RateLimiter(settings: Self.settings, capacity: 100)
        for i in 0..<1000 { _ = limiter.take("t\(i)", .read, at: Int64(i) * 2000) }
        // Still counting: a fresh subject at a later time is allowed, a spent one is limited.
        for _ in 0..<4 { #expect(limiter.take("busy", .read, at: 5_000_000) == .allowed) }
        #expect(limiter.take("busy", .read, at: 5_000_000) != .allowed)
    }

    @Test("Failed logins: allowed a few, then waits doubling up to the longest; a quiet spell starts afresh")
    func backoff() {
        let limiter = RateLimiter(settings: Self.settings)
        limiter.loginFailed("10.0.0.1", at: 0)
        limiter.loginFailed("10.0.0.1", at: 0)
        #expect(limiter.loginBlocked("10.0.0.1", at: 0) == .allowed)
        limiter.loginFailed("10.0.0.1", at: 0)
        #expect(limiter.loginBlocked("10.0.0.1", at: 0) == .limited(retryAfterMilliseconds: 1000))
        #expect(limiter.loginBlocked("10.0.0.2", at: 0) == .allowed)
        #expect(limiter.loginBlocked("10.0.0.1", at: 1000) == .allowed)
        limiter.loginFailed("10.0.0.1", at: 1000)
        #expect(limiter.loginBlocked("10.0.0.1", at: 1000) == .limited(retryAfterMilliseconds: 2000))
        limiter.loginFailed("10.0.0.1", at: 3000)
        limiter.loginFailed("10.0.0.1", at: 3000)
        limiter.loginFailed("10.0.0.1", at: 3000)
        #expect(limiter.loginBlocked("10.0.0.1", at: 3000) == .limited(retryAfterMilliseconds: 8000))
        // Quiet for longer than the longest backoff: the count starts again.
        limiter.loginFailed("10.0.0.1", at: 20_000)
        #expect(limiter.loginBlocked("10.0.0.1", at: 20_000) == .allowed)
    }

    @Test("--rate-limit texts: N/s, N/m, N/h, off; anything else is a message")
    func parsing() throws {
        var limits = RateLimits.defaults
        try limits.apply("predict=5000/s")
        try limits.apply("READ=100/m")
        try limits.apply("write=off")
        try limits.apply("open=10/h")
        #expect(limits.limits[.predict] == RateLimit(requests: 5000, windowMilliseconds: 1000))
        #expect(limits.limits[.read] == RateLimit(requests: 100, windowMilliseconds: 60_000))
        #expect(limits.limits[.write] == nil && limits.limits[.open] == RateLimit(requests: 10, windowMilliseconds: 3_600_000))
        #expect(limits.summary == "read=100/m promote=60/m admin=60/m predict=5000/s open=10/h")
        for bad in ["read", "reed=5/s", "read=0/s", "read=-1/s", "read=5", "read=5/d", "read=x/s", "=5/s", "read=99999999999/s"] {
            #expect(throws: SlipwayError.self, "\(bad)") { try limits.apply(bad) }
        }
    }
}
