import Foundation

/// A 5-field cron schedule: `minute hour day-of-month month day-of-week`, each `*`, a number, a
/// range `a-b`, a list `a,b`, a step `*/n` or `a-b/n`; months and weekdays also by name (`jan`,
/// `mon`); Sunday is 0 or 7. As in cron, when both day fields are restricted a day matching either
/// one runs. Times are read in the schedule's time zone (UTC unless told: `Europe/Paris` makes
/// "0 2 * * *" the team's 2 AM). Around a daylight-saving change a fixed-time job (neither minute
/// nor hour starting with `*`) runs once, as cronie does: at the end of a skipped hour when its time
/// fell in it, and only the first time of a repeated hour; other jobs follow the clock as it is.
/// `next(after:)` is a pure function of its argument.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    public let description: String
    /// The IANA name of the zone the fields are read in.
    public let timeZone: String
    let zone: TimeZone
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool
    /// Neither minute nor hour starts with `*`: the job runs at fixed times of day.
    let fixedTime: Bool

    /// - Throws: INVALID_PARAMETER_VALUE naming the field that is wrong, or an unknown time zone.
    public init(_ text: String, timeZone: String = "UTC") throws(SlipwayError) {
        guard let zone = TimeZone(identifier: timeZone) else {
            throw .invalidParameter("Unknown time zone '\(timeZone)': use an IANA name such as UTC, Europe/Paris or America/New_York")
        }
        self.timeZone = timeZone
        self.zone = zone
        let fields = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 else {
            throw .invalidParameter("A schedule has 5 fields (minute hour day-of-month month day-of-week), e.g. \"0 2 * * *\"; got '\(text)'")
        }
        description = fields.joined(separator: " ")
        minutes = try Self.field(fields[0], "minute", 0...59, names: [:])
        hours = try Self.field(fields[1], "hour", 0...23, names: [:])
        daysOfMonth = try Self.field(fields[2], "day-of-month", 1...31, names: [:])
        let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        months = try Self.field(fields[3], "month", 1...12, names: Dictionary(uniqueKeysWithValues: monthNames.enumerated().map { ($1, $0 + 1) }))
        let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        daysOfWeek = Set(try Self.field(fields[4], "day-of-week", 0...7, names: Dictionary(uniqueKeysWithValues: dayNames.enumerated().map { ($1, $0) })).map { $0 % 7 })
        dayOfMonthRestricted = fields[2] != "*" && !fields[2].hasPrefix("*/")
        dayOfWeekRestricted = fields[4] != "*" && !fields[4].hasPrefix("*/")
        fixedTime = !fields[0].hasPrefix("*") && !fields[1].hasPrefix("*")
    }

    public static func == (a: CronSchedule, b: CronSchedule) -> Bool { a.description == b.description && a.timeZone == b.timeZone }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(description)
        hasher.combine(timeZone)
    }

    /// The first minute strictly after `time` (milliseconds since the Unix epoch) that the schedule
    /// matches, or `nil` when none comes within 5 years (`0 0 30 2 *`).
    public func next(after time: Int64) -> Int64? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        // Start at the next whole minute.
        var minute = (time / 60_000 + 1) * 60_000
        let limit = time + 5 * 366 * 86_400_000
        while minute <= limit {
            if fixedTime, let shift = clockChange(at: minute) {
                if shift > 0, skippedTimeMatches(endingAt: minute, length: shift) { return minute }
                if shift < 0, repeatsClock(at: minute) {
                    minute += 60_000
                    continue
                }
            }
            let date = Date(timeIntervalSince1970: Double(minute) / 1000)
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: date)
            if !months.contains(c.month!) {
                // Jump to the first day of the next month.
                let start = calendar.date(from: DateComponents(year: c.year, month: c.month! + 1, day: 1))!
                minute = max(minute + 60_000, Int64(start.timeIntervalSince1970) * 1000)
                continue
            }
            if !dayMatches(day: c.day!, weekday: c.weekday! - 1) {
                let start = calendar.date(from: DateComponents(year: c.year, month: c.month, day: c.day! + 1))!
                minute = max(minute + 60_000, Int64(start.timeIntervalSince1970) * 1000)
                continue
            }
            if !hours.contains(c.hour!) {
                // To the next hour of the local clock (zones a half or quarter hour off UTC too).
                minute += Int64(60 - c.minute!) * 60_000
                continue
            }
            if !minutes.contains(c.minute!) {
                minute += 60_000
                continue
            }
            return minute
        }
        return nil
    }

    /// The zone's offset from UTC at `time`, in milliseconds.
    func offset(_ time: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(time) / 1000))) * 1000
    }

    /// How far the clock moved during the 3 hours before `time` (positive: forward), nil when it did not.
    func clockChange(at time: Int64) -> Int64? {
        let shift = offset(time) - offset(time - 3 * 3_600_000)
        return shift == 0 ? nil : shift
    }

    /// Whether the clock jumped forward at exactly `time` over a stretch holding a time this schedule matches.
    func skippedTimeMatches(endingAt time: Int64, length: Int64) -> Bool {
        guard offset(time - 60_000) != offset(time) else { return false }
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        // The wall-clock minutes that never happened, read as UTC to name them.
        let end = time + offset(time)
        var wall = end - length
        while wall < end {
            let c = utc.dateComponents([.month, .day, .hour, .minute, .weekday], from: Date(timeIntervalSince1970: Double(wall) / 1000))
            if months.contains(c.month!), dayMatches(day: c.day!, weekday: c.weekday! - 1), hours.contains(c.hour!), minutes.contains(c.minute!) {
                return true
            }
            wall += 60_000
        }
        return false
    }

    /// Whether the local clock already showed `time`'s reading before it was turned back.
    func repeatsClock(at time: Int64) -> Bool {
        let now = offset(time)
        // The first instant of the new offset within the last 3 hours.
        var first = time
        while first - 60_000 > time - 3 * 3_600_000, offset(first - 60_000) == now { first -= 60_000 }
        let before = offset(first - 60_000)
        return before > now && time + now < first + before
    }

    func dayMatches(day: Int, weekday: Int) -> Bool {
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): return daysOfMonth.contains(day) || daysOfWeek.contains(weekday)
        default: return daysOfMonth.contains(day) && daysOfWeek.contains(weekday)
        }
    }

    static func field(_ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String: Int]) throws(SlipwayError) -> Set<Int> {
        func value(_ token: Substring) throws(SlipwayError) -> Int {
            if let number = Int(token), range.contains(number) { return number }
            if let named = names[token.lowercased()] { return named }
            throw .invalidParameter("Schedule \(name) '\(token)' is not in \(range.lowerBound)-\(range.upperBound)")
        }
        var result = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, !pieces[0].isEmpty else { throw .invalidParameter("Schedule \(name) '\(part)' is malformed") }
            var step = 1
            if pieces.count == 2 {
                guard let n = Int(pieces[1]), n > 0, n <= range.upperBound + 1 else { throw .invalidParameter("Schedule \(name) step '\(pieces[1])' is not a positive number") }
                step = n
            }
            let lower: Int, upper: Int
            if pieces[0] == "*" {
                (lower, upper) = (range.lowerBound, range.upperBound)
            } else if let dash = pieces[0].firstIndex(of: "-") {
                (lower, upper) = (try value(pieces[0][..<dash]), try value(pieces[0][pieces[0].index(after: dash)...]))
                guard lower <= upper else { throw .invalidParameter("Schedule \(name) range '\(pieces[0])' runs backwards") }
            } else {
                lower = try value(pieces[0])
                upper = pieces.count == 2 ? range.upperBound : lower
            }
            result.formUnion(stride(from: lower, through: upper, by: step))
        }
        return result
    }
}
