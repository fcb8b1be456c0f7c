import Foundation

/// A line chart drawn on the server as SVG: one polyline per series over a shared x axis (times or
/// steps), with the y axis from zero (or the lowest value, when negative) to the largest value. Every text it writes is escaped, so the result
/// can go into a page as is.
struct SVGChart {
    struct Series {
        var name: String
        /// One value per x, in order; NaN where the series has no point.
        var values: [Double]
    }

    enum XAxis { case times, steps }

    var title: String
    /// Milliseconds since the epoch, or steps; ascending.
    var xs: [Int64]
    var series: [Series]
    var xAxis = XAxis.times
    var width = 640.0
    var height = 200.0

    static let palette = ["#2f6fde", "#e0642a", "#23a55a", "#a03fd6", "#c9a400", "#d12f5e", "#3a9fb8", "#6b7385"]

    var svg: String {
        let left = 48.0, right = 12.0, top = 22.0, bottom = 26.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let all = series.flatMap(\.values).filter(\.isFinite)
        let peak = all.max() ?? 0, lowest = all.min() ?? 0
        let ceiling = peak > 0 ? Self.niceCeiling(peak) : 0
        let floor = lowest < 0 ? -Self.niceCeiling(-lowest) : 0
        let span = ceiling - floor > 0 ? ceiling - floor : 1
        // Positions by x value: steps or times need not be evenly spaced.
        let first = Double(xs.first ?? 0), last = Double(xs.last ?? 0)
        func x(_ i: Int) -> Double {
            guard xs.count > 1, last > first, i < xs.count else { return left + plotWidth / 2 }
            return left + plotWidth * (Double(xs[i]) - first) / (last - first)
        }
        func y(_ v: Double) -> Double { top + plotHeight * (1 - (v - floor) / span) }
        var out = ##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \##(Int(width)) \##(Int(height))" width="\##(Int(width))" height="\##(Int(height))" role="img" aria-label="\##(Self.escape(title))">"##
        out += ##"<text x="\##(left)" y="14" font-size="12" font-weight="600">\##(Self.escape(title))</text>"##
        for step in 0...4 {
            let value = floor + span * Double(step) / 4
            out += ##"<line x1="\##(left)" x2="\##(width - right)" y1="\##(y(value))" y2="\##(y(value))" stroke="#e3e6eb"/>"##
            out += ##"<text x="\##(left - 4)" y="\##(y(value) + 4)" font-size="10" text-anchor="end" fill="#6b7385">\##(Self.escape(Self.label(value)))</text>"##
        }
        if let first = xs.first, let last = xs.last {
            let (from, to) = xAxis == .times ? (Self.time(first), Self.time(last) + " UTC") : ("step \(first)", "step \(last)")
            out += ##"<text x="\##(left)" y="\##(height - 8)" font-size="10" fill="#6b7385">\##(Self.escape(from))</text>"##
            out += ##"<text x="\##(width - right)" y="\##(height - 8)" font-size="10" text-anchor="end" fill="#6b7385">\##(Self.escape(to))</text>"##
        }
        for (index, s) in series.enumerated() {
            let color = Self.palette[index % Self.palette.count]
            // Values that are not finite are gaps: no point there.
            let finite = s.values.enumerated().filter { $0.element.isFinite }
            let points = finite.map { String(format: "%.1f,%.1f", x($0.offset), y($0.element)) }.joined(separator: " ")
            out += ##"<polyline class="series" data-series="\##(Self.escape(s.name))" data-points="\##(finite.count)" fill="none" stroke="\##(color)" stroke-width="1.8" points="\##(points)"/>"##
            if finite.count == 1 {  // one point draws no line: a dot
                out += ##"<circle cx="\##(x(finite[0].offset))" cy="\##(y(finite[0].element))" r="3" fill="\##(color)"/>"##
            }
            out += ##"<text x="\##(width - right - 4)" y="\##(top + 12 + 12 * Double(index))" font-size="10" text-anchor="end" fill="\##(color)">\##(Self.escape(s.name))</text>"##
        }
        if series.isEmpty {
            out += ##"<text x="\##(left + plotWidth / 2)" y="\##(top + plotHeight / 2)" font-size="12" text-anchor="middle" fill="#6b7385">no data</text>"##
        }
        return out + "</svg>"
    }

    /// 1, 2 or 5 times a power of ten, at least `x`.
    static func niceCeiling(_ x: Double) -> Double {
        let power = pow(10, floor(log10(x)))
        return [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= x * (1 - 1e-12) } ?? 10 * power
    }

    static func label(_ v: Double) -> String {
        String(format: "%.4g", v)
    }

    static func time(_ ms: Int64) -> String {
        String(Overview.timeText(ms).dropFirst(5))  // MM-dd HH:mm:ss
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
