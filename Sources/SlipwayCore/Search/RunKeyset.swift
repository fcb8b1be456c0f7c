import Foundation

/// Where a page of runs ended, so the next page starts right after it (keyset pagination): the
/// last run's values for the order terms, its start time and its id — the full sort key, since
/// ties are broken by newest start first, then run id. Unlike an offset, reading page 1,000 costs
/// the same as page 1, and a run logged meanwhile does not shift the pages.
public struct RunKeyset: Sendable, Equatable {
    public var values: [RunMatcher.SortValue?]
    public var startTime: Int64
    public var runID: String

    public init(values: [RunMatcher.SortValue?], startTime: Int64, runID: String) {
        self.values = values
        self.startTime = startTime
        self.runID = runID
    }

    /// The sort key of `run` under `order`.
    public init(run: Run, order: [OrderTerm]) {
        self.init(values: order.map { RunMatcher.sortValue($0, run) }, startTime: run.info.startTime, runID: run.info.runID)
    }

    /// The opaque page token: base64 of `{"after": [...], "start_time": N, "run_id": "..."}`,
    /// each value `{"n": number}`, `{"t": text}` or null.
    public var token: String {
        let values: [JSONValue] = values.map { value in
            switch value {
            case .number(let x)?: .object([("n", .number(x))])
            case .text(let s)?: .object([("t", .string(s))])
            case nil: .null
            }
        }
        let json = JSONValue.object([("after", .array(values)), ("start_time", .int(startTime)), ("run_id", .string(runID))])
        return Data(JSONWriter.bytes(json)).base64EncodedString()
    }

    /// Where a page starts.
    public enum Cursor: Sendable, Equatable {
        case offset(Int)
        case after(RunKeyset)
    }

    /// Reads a page token: one of ours (keyset) or an offset token, which older pages handed out.
    /// - Throws: `INVALID_PARAMETER_VALUE` for a token that is neither, or one made for another order.
    public static func cursor(_ token: String?, order: [OrderTerm]) throws(SlipwayError) -> Cursor {
        guard let token, !token.isEmpty else { return .offset(0) }
        guard let data = Data(base64Encoded: token), let json = try? JSONParser.parse(String(decoding: data, as: UTF8.self)),
              let values = json["after"]?.arrayValue else {
            return .offset(try PageToken.decode(token))
        }
        guard values.count == order.count, let start = json["start_time"]?.numberValue, start == start.rounded(), abs(start) < 9e15,
              let runID = json["run_id"]?.stringValue else {
            throw .invalidParameter("Invalid page token: it was made for another search (order_by must not change between pages)")
        }
        var decoded: [RunMatcher.SortValue?] = []
        for value in values {
            if case .null = value {
                decoded.append(nil)
            } else if let number = value["n"]?.numberValue {
                decoded.append(.number(number))
            } else if let text = value["t"]?.stringValue {
                decoded.append(.text(text))
            } else {
                throw .invalidParameter("Invalid page token: unreadable sort value")
            }
        }
        return .after(RunKeyset(values: decoded, startTime: Int64(start), runID: runID))
    }
}
