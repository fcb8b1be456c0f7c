import Foundation

/// One page of search results and the token for the next page, if there is one.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextPageToken: String?

    public init(items: [Item], nextPageToken: String?) {
        self.items = items
        self.nextPageToken = nextPageToken
    }
}

/// Opaque offset page tokens: base64 of `{"offset": N}`, the same shape MLflow hands out (run
/// searches hand out keyset tokens instead, see ``RunKeyset``).
public enum PageToken {
    /// Encodes an offset as a token.
    public static func encode(offset: Int) -> String {
        Data("{\"offset\": \(offset)}".utf8).base64EncodedString()
    }

    /// Decodes a token into an offset; `nil` or an empty token is offset 0.
    /// - Throws: `INVALID_PARAMETER_VALUE` for a token that is not one of ours.
    public static func decode(_ token: String?) throws(SlipwayError) -> Int {
        guard let token, !token.isEmpty else { return 0 }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8) else {
            throw .invalidParameter("Invalid page token, could not base64-decode")
        }
        guard case .number(let number)? = (try? JSONParser.parse(text))?["offset"], number >= 0, number == number.rounded(), number < 1e15 else {
            throw .invalidParameter("Invalid page token, offset must be a non-negative integer")
        }
        let offset = Int(number)
        return offset
    }

    /// Builds a page from `limit + 1` fetched rows: the extra row means there is a next page.
    public static func page<T: Sendable>(_ rows: [T], offset: Int, limit: Int) -> Page<T> {
        if rows.count > limit {
            return Page(items: Array(rows.prefix(limit)), nextPageToken: encode(offset: offset + limit))
        }
        return Page(items: rows, nextPageToken: nil)
    }
}
