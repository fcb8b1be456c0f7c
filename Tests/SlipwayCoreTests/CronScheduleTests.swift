import Foundation
import SlipwayCore
import Testing

@Suite("Cron schedules")
struct CronScheduleTests {
    /// Milliseconds of a UTC time written `2026-11-24T10:07:30Z`.
    func at(_ text: String) -> Int64 { WallClock.milliseconds(rfc3339: text)! }

    func next(_ schedule: String, after time: String, zone: String = "UTC") throws -> String? {
        try CronSchedule(schedule, timeZone: zone).next(after: at(time)).map { WallClock.rfc3339(milliseconds: $0) }
    }

    /// Every time `schedule` runs from `start` until `end`.
    func runs(_ schedule: String, zone: String, from start: String, to end: String) throws -> [String] {
        let cron = try CronSchedule(schedule, timeZone: zone)
        var times: [String] = []
        var time = at(start)
        while let next = cron.next(after: time), next < at(end) {
            times.append(WallClock.rfc3339(milliseconds: next))
            time = next
        }
        return times
    }

    @Test("A time zone makes 2 AM the team's 2 AM, in winter and in summer, half-hour zones too")
    func zones() throws {
        #expect(try next("0 2 * * *", after: "2026-01-10T12:00:00Z", zone: "Europe/Berlin") == "2026-01-11T01:00:00.000Z")  // CET, UTC+1
        #expect(try next("0 2 * * *", after: "2026-07-10T12:00:00Z", zone: "Europe/Berlin") == "2026-07-11T00:00:00.000Z")  // CEST, UTC+2
        #expect(try next("0 2 * * *", after: "2026-07-10T12:00:00Z", zone: "Asia/Kolkata") == "2026-07-10T20:30:00.000Z")  // UTC+5:30
        #expect(try next("15 * * * *", after: "2026-07-10T12:00:00Z", zone: "Asia/Kolkata") == "2026-07-10T12:45:00.000Z")
        // Monday 12:30 in Auckland (UTC+13) is Sunday in UTC: the next Monday 09:00 is a week on.
        #expect(try next("0 9 * * mon", after: "2026-11-29T23:30:00Z", zone: "Pacific/Auckland") == "2026-12-06T20:00:00.000Z")
        #expect(throws: SlipwayError.self) { try CronSchedule("0 2 * * *", timeZone: "Mars/Olympus") }
    }

    @Test("Spring forward: a 02:30 job runs once, at 03:00; an hourly one follows the clock")
    func springForward() throws {
        // New York, 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00 UTC).
        #expect(try runs("30 2 * * *", zone: "America/New_York", from: "2026-03-07T00:00:00Z", to: "2026-03-10T00:00:00Z")
            == ["2026-03-07T07:30:00.000Z", "2026-03-08T07:00:00.000Z", "2026-03-09T06:30:00.000Z"])
        #expect(try runs("30 * * * *", zone: "America/New_York", from: "2026-03-08T05:00:00Z", to: "2026-03-08T09:00:00Z")
            == ["2026-03-08T05:30:00.000Z", "2026-03-08T06:30:00.000Z", "2026-03-08T07:30:00.000Z", "2026-03-08T08:30:00.000Z"])
        // A time the jump does not cover is not moved.
        #expect(try runs("0 4 * * *", zone: "America/New_York", from: "2026-03-08T00:00:00Z", to: "2026-03-09T00:00:00Z") == ["2026-03-08T08:00:00.000Z"])
    }

    @Test("Fall back: a 01:30 job runs once, at the first 01:30; an every-15-minutes one runs through both")
    func fallBack() throws {
        // New York, 2026-11-01: 02:00 EDT becomes 01:00 EST (06:00 UTC).
        #expect(try runs("30 1 * * *", zone: "America/New_York", from: "2026-10-31T12:00:00Z", to: "2026-11-02T12:00:00Z")
            == ["2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"])
        let quarter = try runs("*/15 * * * *", zone: "America/New_York", from: "2026-11-01T05:00:00Z", to: "2026-11-01T07:00:00Z")
        #expect(quarter.count == 7)  // 05:15Z (01:15 EDT) to 06:45Z (01:45 EST): every quarter of both 1 AMs
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
