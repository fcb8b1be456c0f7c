public import SlipwayCore

/// What a request counts against: the scope its route needs (`read`, `write`, `promote`, `admin`,
/// `predict` with `--serving-auth`), or `open` for the routes that need no token (`/health`,
/// `/ready`, serving without `--serving-auth`), which are counted per client address.
public enum RateClass: String, CaseIterable, Sendable {
    case read, write, promote, admin, predict, open

    /// Position in `allCases`.
    var index: Int {
        switch self {
        case .read: 0
        case .write: 1
        case .promote: 2
        case .admin: 3
        case .predict: 4
        case .open: 5
        }
    }

    init(_ scope: TokenScope) {
        switch scope {
        case .read: self = .read
        case .write: self = .write
        case .promote: self = .promote
        case .admin: self = .admin
        case .predict: self = .predict
        }
    }
}

/// At most `requests` in any `windowMilliseconds`, refilled smoothly: a token bucket holding
/// `requests` that gains one every `windowMilliseconds / requests`.
public struct RateLimit: Sendable, Equatable {
    public var requests: Int
    public var windowMilliseconds: Int64

    public init(requests: Int, windowMilliseconds: Int64) {
        self.requests = requests
        self.windowMilliseconds = windowMilliseconds
    }

    /// `600/s`, `60/m`, `1000/h`.
    var description: String {
        let unit = windowMilliseconds == 1000 ? "s" : windowMilliseconds == 60_000 ? "m" : "h"
        return "\(requests)/\(unit)"
    }

    /// The window in whole seconds, as the RateLimit headers give it.
    var windowSeconds: Int64 { max(1, windowMilliseconds / 1000) }
}

/// The limit of each class (nil: unlimited) and the backoff after failed logins.
public struct RateLimits: Sendable, Equatable {
    public var limits: [RateClass: RateLimit]
    /// Failed logins from one address allowed before it must wait; each next failure doubles the wait.
    public var failedLoginsBeforeBackoff: Int
    /// The first wait after `failedLoginsBeforeBackoff` failures, and the longest.
    public var firstBackoffMilliseconds: Int64
    public var longestBackoffMilliseconds: Int64

    /// Per token: `read` and `write` 600 a second (a training loop logging metrics one call at a
    /// time stays under it; MLflow's client waits out a 429's Retry-After), `promote` and `admin`
    /// 60 a minute; `predict` and `open` unlimited (a serving client behind one address is normal).
    public static let defaults = RateLimits(
        limits: [
            .read: RateLimit(requests: 600, windowMilliseconds: 1000),
            .write: RateLimit(requests: 600, windowMilliseconds: 1000),
            .promote: RateLimit(requests: 60, windowMilliseconds: 60_000),
            .admin: RateLimit(requests: 60, windowMilliseconds: 60_000),
        ],
        failedLoginsBeforeBackoff: 5, firstBackoffMilliseconds: 1000, longestBackoffMilliseconds: 300_000)

    public init(limits: [RateClass: RateLimit], failedLoginsBeforeBackoff: Int, firstBackoffMilliseconds: Int64, longestBackoffMilliseconds: Int64) {
        self.limits = limits
        self.failedLoginsBeforeBackoff = failedLoginsBeforeBackoff
        self.firstBackoffMilliseconds = firstBackoffMilliseconds
        self.longestBackoffMilliseconds = longestBackoffMilliseconds
    }

    /// Applies one `--rate-limit` text: `CLASS=N/s`, `CLASS=N/m`, `CLASS=N/h` or `CLASS=off`.
    /// - Throws: `INVALID_PARAMETER_VALUE` naming what is wrong.
    public mutating func apply(_ spec: String) throws(SlipwayError) {
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        let classes = RateClass.allCases.map(\.rawValue).joined(separator: ", ")
        guard parts.count == 2, let rateClass = RateClass(rawValue: parts[0].lowercased()) else {
            throw .invalidParameter("A rate limit is CLASS=N/s, CLASS=N/m, CLASS=N/h or CLASS=off, with CLASS one of \(classes); got '\(spec)'")
        }
        if parts[1].lowercased() == "off" {
            limits[rateClass] = nil
            return
        }
        let rate = parts[1].split(separator: "/", maxSplits: 1).map(String.init)
        let windows: [String: Int64] = ["s": 1000, "m": 60_000, "h": 3_600_000]
        guard rate.count == 2, let requests = Int(rate[0]), requests > 0, requests <= 1_000_000_000, let window = windows[rate[1].lowercased()] else {
            throw .invalidParameter("The rate limit '\(spec)' is not N/s, N/m, N/h or off, with N a positive whole number")
        }
        limits[rateClass] = RateLimit(requests: requests, windowMilliseconds: window)
    }

    /// `read=600/s write=600/s ...` for the start-up log; unlimited classes are left out.
    public var summary: String {
        RateClass.allCases.compactMap { rateClass in limits[rateClass].map { "\(rateClass.rawValue)=\($0.description)" } }.joined(separator: " ")
    }
}
