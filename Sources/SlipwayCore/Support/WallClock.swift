import Foundation

/// The real clock, in milliseconds since the Unix epoch: the default for everything that takes a
/// `now` closure, which tests replace with a fixed or stepping clock.
public enum WallClock {
    @Sendable public static func milliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
