/// Capped exponential backoff: how long to wait after the n-th failure in a row (`base`, `2·base`,
/// `4·base`, ... never more than `cap`). Webhook deliveries and the model host's reloads both retry by it.
public struct Backoff: Sendable, Hashable {
    /// The wait after the first failure, in milliseconds.
    public var base: Int64
    /// The longest wait, in milliseconds.
    public var cap: Int64

    public init(baseMilliseconds: Int64, capMilliseconds: Int64) {
        base = max(baseMilliseconds, 1)
        cap = max(capMilliseconds, base)
    }

    /// Milliseconds to wait after the n-th failure in a row (n >= 1).
    public func delay(afterFailure n: Int) -> Int64 {
        let doublings = min(max(n - 1, 0), 40)
        let (doubled, overflow) = base.multipliedReportingOverflow(by: Int64(1) << doublings)
        return overflow ? cap : min(doubled, cap)
    }
}
