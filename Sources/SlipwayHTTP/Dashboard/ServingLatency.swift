import Foundation
import SlipwayCore

/// Latency percentiles of a model's served versions, read from the serving metrics this process
/// exposes at `/metrics` (the `slipway_prediction_duration_seconds` histogram, since the process
/// started), estimated the way Prometheus' `histogram_quantile` does: linear within a bucket.
enum ServingLatency {
    static let family = "slipway_prediction_duration_seconds"
    static let quantiles: [(String, Double)] = [("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)]

    /// One object per version of `model`: requests counted and p50/p95/p99 in milliseconds.
    static func json(exposition: [UInt8], model: String) -> JSONValue {
        var buckets: [String: [(Double, Double)]] = [:]  // version -> (upper bound, cumulative count)
        for line in String(decoding: exposition, as: UTF8.self).split(separator: "\n") where line.hasPrefix(family + "_bucket{") {
            guard let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") else { continue }
            let labels = Self.labels(line[line.index(after: open)..<close])
            guard labels["model"] == model, let version = labels["version"], let le = labels["le"],
                  let count = Double(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)) else { continue }
            let bound = le == "+Inf" ? Double.infinity : Double(le) ?? .nan
            if !bound.isNaN { buckets[version, default: []].append((bound, count)) }
        }
        let versions = buckets.keys.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
        return .array(versions.compactMap { version in
            let sorted = buckets[version]!.sorted { $0.0 < $1.0 }
            guard let total = sorted.last?.1, total > 0 else { return nil }
            var fields: [(String, JSONValue)] = [("version", .string(version)), ("requests", .number(total))]
            for (key, q) in quantiles {
                fields.append((key, .string(String(format: "%.3g", quantile(q, sorted) * 1000))))
            }
            return .object(fields)
        })
    }

    /// `histogram_quantile(q)` over cumulative buckets sorted by upper bound (the last one +Inf).
    static func quantile(_ q: Double, _ buckets: [(Double, Double)]) -> Double {
        guard let total = buckets.last?.1, total > 0 else { return .nan }
        let rank = q * total
        var lower = 0.0, below = 0.0
        for (bound, count) in buckets {
            if count >= rank {
                // Above the highest finite bound, the best answer is that bound.
                if bound.isInfinite { return lower }
                let inBucket = count - below
                return inBucket > 0 ? lower + (bound - lower) * (rank - below) / inBucket : bound
            }
            lower = bound
            below = count
        }
        return lower
    }

    /// `a="x",b="y"` as a dictionary, with the exposition format's escapes (`\\`, `\"`, `\n`) undone.
    static func labels(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        var key = "", value = "", inValue = false, escaped = false
        for character in text {
            if inValue {
                if escaped {
                    value.append(character == "n" ? "\n" : character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    result[key] = value
                    key = ""
                    value = ""
                    inValue = false
                } else {
                    value.append(character)
                }
            } else if character == "\"" {
                inValue = true
            } else if character != "=" && character != "," && character != " " {
                key.append(character)
            }
        }
        return result
    }
}
