import Foundation

/// A 5-field cron schedule in UTC: `minute hour day-of-month month day-of-week`, each `*`, a
/// number, a range `a-b`, a list `a,b`, a step `*/n` or `a-b/n`; months and weekdays also by name
/// (`jan`, `mon`); Sunday is 0 or 7. As in cron, when both day fields are restricted a day matching
/// either one runs. `next(after:)` is a pure function of its argument.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    public let description: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    /// - Throws: INVALID_PARAMETER_VALUE naming the field that is wrong.
    public init(_ text: String) throws(SlipwayError) {
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
    }

    /// The first minute strictly after `time` (milliseconds since the Unix epoch) that the schedule
    /// matches, or `nil` when none comes within 5 years (`0 0 30 2 *`).
    public func next(after time: Int64) -> Int64? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        // Start at the next whole minute.
        var minute = (time / 60_000 + 1) * 60_000
        let limit = time + 5 * 366 * 86_400_000
        while minute <= limit {
            let date = Date(timeIntervalSince1970: Double(minute) / 1000)
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: date)
            if !months.contains(c.month!) {
                // Jump to the first day of the next month.
                let start = calendar.date(from: DateComponents(year: c.year, month: c.month! + 1, day: 1))!
                minute = Int64(start.timeIntervalSince1970) * 1000
                continue
            }
            if !dayMatches(day: c.day!, weekday: c.weekday! - 1) {
                let start = calendar.date(from: DateComponents(year: c.year, month: c.month, day: c.day! + 1))!
                minute = Int64(start.timeIntervalSince1970) * 1000
                continue
            }
            if !hours.contains(c.hour!) {
                minute = (minute / 3_600_000 + 1) * 3_600_000
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
