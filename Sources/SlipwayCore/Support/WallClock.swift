import Foundation

/// The real clock, in milliseconds since the Unix epoch: the default for everything that takes a
/// `now` closure, which tests replace with a fixed or stepping clock.
public enum WallClock {
    @Sendable public static func milliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}

extension WallClock {
    /// `2026-11-24T10:15:03.123Z` for a time in milliseconds since the Unix epoch.
    public static func rfc3339(milliseconds: Int64) -> String {
        var style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        style.timeZone = TimeZone(identifier: "UTC")!
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(style)
    }

    /// Milliseconds since the Unix epoch of an RFC 3339 time (with or without fractional seconds).
    public static func milliseconds(rfc3339 text: String) -> Int64? {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        guard let date = (try? withFraction.parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text)) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
