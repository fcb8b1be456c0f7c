import Foundation
import SlipwayCore
import Testing

@Suite("Cron schedules")
struct CronScheduleTests {
    /// Milliseconds of a UTC time written `2026-11-24T10:07:30Z`.
    func at(_ text: String) -> Int64 { WallClock.milliseconds(rfc3339: text)! }

    func next(_ schedule: String, after time: String) throws -> String? {
        try CronSchedule(schedule).next(after: at(time)).map { WallClock.rfc3339(milliseconds: $0) }
    }

    @Test("Next times: daily, steps, month rollover, weekdays, either-day rule, leap day")
    func nextTimes() throws {
        #expect(try next("0 2 * * *", after: "2026-11-24T10:00:00Z") == "2026-11-25T02:00:00.000Z")
        #expect(try next("0 2 * * *", after: "2026-11-24T01:59:59Z") == "2026-11-24T02:00:00.000Z")
        #expect(try next("0 2 * * *", after: "2026-11-24T02:00:00Z") == "2026-11-25T02:00:00.000Z")  // strictly after
        #expect(try next("*/15 * * * *", after: "2026-11-24T10:07:30Z") == "2026-11-24T10:15:00.000Z")
        #expect(try next("0 0 1 * *", after: "2026-12-15T00:00:00Z") == "2027-01-01T00:00:00.000Z")
        #expect(try next("30 9 * * mon-fri", after: "2026-11-27T10:00:00Z") == "2026-11-30T09:30:00.000Z")  // Friday -> Monday
        #expect(try next("0 0 * * 7", after: "2026-11-24T00:00:00Z") == "2026-11-29T00:00:00.000Z")  // 7 is Sunday
        #expect(try next("0 0 13 * fri", after: "2026-11-24T00:00:00Z") == "2026-11-27T00:00:00.000Z")  // a Friday, or the 13th
        #expect(try next("0 12 29 feb *", after: "2026-03-01T00:00:00Z") == "2028-02-29T12:00:00.000Z")
        #expect(try next("5,10 1-2/1 * jan,jul *", after: "2026-11-24T00:00:00Z") == "2027-01-01T01:05:00.000Z")
        #expect(try next("0 0 30 2 *", after: "2026-01-01T00:00:00Z") == nil)
    }

    @Test("Malformed schedules name the field")
    func malformed() {
        for (text, message) in [("0 2 * *", "5 fields"), ("60 * * * *", "minute"), ("* 24 * * *", "hour"), ("* * 0 * *", "day-of-month"),
                                ("* * * 13 *", "month"), ("* * * * 8", "day-of-week"), ("5-1 * * * *", "backwards"), ("*/0 * * * *", "step"),
                                ("1,,2 * * * *", "malformed"), ("* * * foo *", "month")] {
            #expect(throws: SlipwayError.self, "\(text)") { try CronSchedule(text) }
            do { _ = try CronSchedule(text) } catch { #expect(error.message.contains(message), "\(text): \(error.message)") }
        }
    }
}
