import Foundation
import Hummingbird

/// A segment of a request's path as the routes read it: percent-escapes decoded (`churn%20v2` is
/// the model `churn v2`), or as sent when they are not valid UTF-8. The auth checks read a path
/// with the same function, so what is checked is what the handler uses.
enum PathText {
    static func decoded<Text: StringProtocol>(_ segment: Text) -> String {
        let text = String(segment)
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        return text.removingPercentEncoding ?? text
    }
}

extension Parameters {
    /// The path parameter, decoded (`PathText`). - Throws: when the route has no such parameter.
    func decoded(_ key: String) throws -> String {
        PathText.decoded(try require(key))
    }
}
