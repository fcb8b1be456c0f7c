import Foundation

/// A point in time as people write it in a query or on the command line: milliseconds since the
/// epoch (`1764720000000`), a span back from now (`90s`, `15m`, `1h`, `7d`), or an ISO 8601 date
/// or date-time (`2026-12-01`, `2026-12-01T10:00:00Z`).
public enum TimeBound {
    /// A length of time as written (`30m`, `12h`, `90d`; positive, at most 100 years) in milliseconds, or nil.
    public static func length(_ text: String) -> Int64? {
        guard let unit = text.last, let count = Int64(text.dropLast()), count > 0 else { return nil }
        let scale: Int64? = switch unit {
        case "m": 60_000
        case "h": 3_600_000
        case "d": 86_400_000
        default: nil
        }
        guard let scale, count <= 36_500 * 86_400_000 / scale else { return nil }
        return count * scale
    }

    /// Milliseconds since the epoch. - Throws: INVALID_PARAMETER_VALUE naming `what` for anything else.
    public static func parse(_ text: String, now: Int64, what: String) throws(SlipwayError) -> Int64 {
        if let milliseconds = Int64(text) { return milliseconds }
        if let unit = text.last, let count = Int64(text.dropLast()), count >= 0 {
            let scale: Int64? = switch unit {
            case "s": 1000
            case "m": 60_000
            case "h": 3_600_000
            case "d": 86_400_000
            default: nil
            }
            if let scale {
                let (span, overflow) = count.multipliedReportingOverflow(by: scale)
                guard !overflow, span <= now else { throw .invalidParameter("'\(what)' reaches back before 1970: '\(text)'") }
                return now - span
            }
        }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
        formatter.formatOptions = [.withFullDate]
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
        throw .invalidParameter("'\(what)' must be milliseconds since the epoch, a span back from now (15m, 1h, 7d) or an ISO 8601 time, got '\(text)'")
    }
}
