/// Parses MLflow's search filter and order-by grammar into ``FilterExpression`` and ``OrderTerm``.
///
/// Identifiers are `prefix.key` where the key may be quoted with backticks or double quotes
/// (`` tags.`mlflow.prompt.is_prompt` ``); a bare identifier (`name`, `status`) is an attribute.
/// Values are single- or double-quoted strings, numbers, or parenthesized string lists for IN.
public struct FilterParser: Sendable {
    public init() {}

    /// Parses a whole filter; an empty or blank filter gives `nil`.
    /// - Parameter filter: the filter text, as a client sent it.
    public func parse(_ filter: String) throws(SlipwayError) -> FilterExpression? {
        var tokenizer = Tokenizer(filter)
        var tokens = try tokenizer.tokenize()
        if tokens.isEmpty { return nil }
        tokens.append(FilterToken.end)
        var cursor = Cursor(tokens: tokens)
        let expression = try parseOr(&cursor)
        guard case .end = cursor.peek else {
            throw .invalidParameter("Invalid filter '\(filter)': unexpected \(cursor.peek.text)")
        }
        return expression
    }

    /// Parses one order-by clause such as `metrics.test_mae DESC`.
    public func parseOrderBy(_ clause: String) throws(SlipwayError) -> OrderTerm {
        var tokenizer = Tokenizer(clause)
        let tokens = try tokenizer.tokenize()
        guard let first = tokens.first, case .identifier(let raw) = first else {
            throw .invalidParameter("Invalid order_by clause '\(clause)'. Could not be parsed.")
        }
        var ascending = true
        if tokens.count == 2, case .keyword(let word) = tokens[1] {
            switch word {
            case "ASC": ascending = true
            case "DESC": ascending = false
            default: throw .invalidParameter("Invalid ordering key in order_by clause '\(clause)'.")
            }
        } else if tokens.count != 1 {
            throw .invalidParameter("Invalid order_by clause '\(clause)'. Could not be parsed.")
        }
        let (entity, key) = try Self.split(identifier: raw)
        return OrderTerm(entity: entity, key: key, ascending: ascending)
    }

    // MARK: - Grammar

    private func parseOr(_ cursor: inout Cursor) throws(SlipwayError) -> FilterExpression {
        var parts = [try parseAnd(&cursor)]
        while case .keyword("OR") = cursor.peek {
            cursor.advance()
            parts.append(try parseAnd(&cursor))
        }
        return parts.count == 1 ? parts[0] : .or(parts)
    }

    private func parseAnd(_ cursor: inout Cursor) throws(SlipwayError) -> FilterExpression {
        var parts = [try parsePrimary(&cursor)]
        while case .keyword("AND") = cursor.peek {
            cursor.advance()
            parts.append(try parsePrimary(&cursor))
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    private func parsePrimary(_ cursor: inout Cursor) throws(SlipwayError) -> FilterExpression {
        if case .leftParen = cursor.peek {
            cursor.advance()
            let inner = try parseOr(&cursor)
            guard case .rightParen = cursor.peek else { throw .invalidParameter("Invalid filter: missing ')'") }
            cursor.advance()
            return inner
        }
        guard case .identifier(let raw) = cursor.peek else {
            throw .invalidParameter("Invalid filter: expected an identifier, found \(cursor.peek.text)")
        }
        cursor.advance()
        let (entity, key) = try Self.split(identifier: raw)
        let comparator = try parseComparator(&cursor, entity: entity)
        let value = try parseValue(&cursor, comparator: comparator)
        return .comparison(FilterComparison(entity: entity, key: key, comparator: comparator, value: value))
    }

    private func parseComparator(_ cursor: inout Cursor, entity: FilterEntity) throws(SlipwayError) -> Comparator {
        let token = cursor.peek
        cursor.advance()
        switch token {
        case .symbol(let symbol):
            if let comparator = Comparator(rawValue: symbol) { return comparator }
            throw .invalidParameter(
                "Invalid comparator '\(symbol)' not one of '{'!=', '<=', '=', '>', '<', '>='}'")
        case .keyword("LIKE"): return .like
        case .keyword("ILIKE"): return .ilike
        case .keyword("IN"): return .in
        case .keyword("NOT"):
            guard case .keyword("IN") = cursor.peek else { throw .invalidParameter("Invalid filter: expected IN after NOT") }
            cursor.advance()
            return .notIn
        default:
            throw .invalidParameter("Invalid filter: expected a comparator, found \(token.text)")
        }
    }

    private func parseValue(_ cursor: inout Cursor, comparator: Comparator) throws(SlipwayError) -> FilterValue {
        let token = cursor.peek
        cursor.advance()
        if comparator == .in || comparator == .notIn {
            guard case .leftParen = token else {
                throw .invalidParameter("While parsing a list in the query, expected a non-empty list of string values, but got \(token.text)")
            }
            var items: [String] = []
            while true {
                switch cursor.peek {
                case .string(let s): items.append(s)
                case .number(let n): items.append(n)
                default:
                    throw .invalidParameter("While parsing a list in the query, expected string values, but got \(cursor.peek.text)")
                }
                cursor.advance()
                if case .comma = cursor.peek { cursor.advance(); continue }
                guard case .rightParen = cursor.peek else { throw .invalidParameter("Invalid filter: expected ')' to close the list") }
                cursor.advance()
                return .list(items)
            }
        }
        switch token {
        case .string(let s): return .string(s)
        case .number(let n):
            guard let number = Double(n) else { throw .invalidParameter("Invalid number '\(n)' in filter") }
            return .number(number)
        case .identifier(let word) where word.lowercased() == "null":
            throw .invalidParameter("Invalid filter: NULL comparisons are not supported")
        default:
            throw .invalidParameter("Invalid filter: expected a value, found \(token.text)")
        }
    }

    /// Splits `metrics.test_mae` into (.metric, "test_mae"); a bare word is an attribute.
    static func split(identifier raw: String) throws(SlipwayError) -> (FilterEntity, String) {
        guard let dot = raw.firstIndex(of: ".") else { return (.attribute, raw) }
        let prefix = String(raw[..<dot])
        let key = String(raw[raw.index(after: dot)...])
        guard let entity = FilterEntity(prefix: prefix) else {
            throw .invalidParameter("Invalid entity type '\(prefix)'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']")
        }
        guard !key.isEmpty else { throw .invalidParameter("Invalid identifier '\(raw)': the key is empty") }
        return (entity, key)
    }
}

// MARK: - Tokens

enum FilterToken: Equatable {
    case identifier(String)
    case string(String)
    case number(String)
    case symbol(String)
    case keyword(String)
    case leftParen, rightParen, comma, end

    var text: String {
        switch self {
        case .identifier(let s), .number(let s), .symbol(let s), .keyword(let s): return "'\(s)'"
        case .string(let s): return "'\(s)'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .comma: return "','"
        case .end: return "end of filter"
        }
    }
}

struct Cursor {
    let tokens: [FilterToken]
    var index = 0
    var peek: FilterToken { tokens[index] }
    mutating func advance() { if index < tokens.count - 1 { index += 1 } }
}

struct Tokenizer {
    let chars: [Character]
    var i = 0
    static let keywords: Set<String> = ["AND", "OR", "IN", "NOT", "LIKE", "ILIKE", "ASC", "DESC"]

    init(_ text: String) { chars = Array(text) }

    mutating func tokenize() throws(SlipwayError) -> [FilterToken] {
        var out: [FilterToken] = []
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            switch c {
            case "(": out.append(.leftParen); i += 1
            case ")": out.append(.rightParen); i += 1
            case ",": out.append(.comma); i += 1
            case "'":
                out.append(.string(try quoted(by: "'")))
            case "\"":
                // A double-quoted run is a key where an identifier is expected, a value otherwise.
                let text = try quoted(by: "\"")
                if let last = out.last, case .symbol = last { out.append(.string(text)) }
                else if let last = out.last, case .keyword(let k) = last, k == "LIKE" || k == "ILIKE" { out.append(.string(text)) }
                else if let last = out.last, case .leftParen = last, out.count >= 2 { out.append(.string(text)) }
                else if let last = out.last, case .comma = last { out.append(.string(text)) }
                else { out.append(.identifier(text)) }
            case "`":
                out.append(.identifier(try quoted(by: "`")))
            case "<", ">", "=", "!", "~":
                var symbol = ""
                while i < chars.count, "<>=!~".contains(chars[i]) { symbol.append(chars[i]); i += 1 }
                out.append(.symbol(symbol))
            default:
                if c.isNumber || ((c == "-" || c == "+" || c == ".") && i + 1 < chars.count && (chars[i + 1].isNumber || chars[i + 1] == ".")) {
                    var number = String(c)
                    i += 1
                    while i < chars.count, chars[i].isNumber || "eE.+-".contains(chars[i]) {
                        if (chars[i] == "+" || chars[i] == "-"), !(number.last == "e" || number.last == "E") { break }
                        number.append(chars[i]); i += 1
                    }
                    out.append(.number(number))
                } else if c.isLetter || c == "_" {
                    var word = ""
                    while i < chars.count, chars[i].isLetter || chars[i].isNumber || "_.-/:".contains(chars[i]) {
                        word.append(chars[i]); i += 1
                    }
                    // `tags.` followed by a quoted key: join them into one identifier.
                    if word.hasSuffix("."), i < chars.count, chars[i] == "`" || chars[i] == "\"" {
                        let quote = chars[i]
                        word += try quoted(by: quote)
                        out.append(.identifier(word))
                    } else if Self.keywords.contains(word.uppercased()) {
                        out.append(.keyword(word.uppercased()))
                    } else {
                        out.append(.identifier(word))
                    }
                } else {
                    throw .invalidParameter("Invalid character '\(c)' in filter")
                }
            }
        }
        return out
    }

    private mutating func quoted(by quote: Character) throws(SlipwayError) -> String {
        i += 1
        var text = ""
        while i < chars.count {
            let c = chars[i]
            if c == quote {
                // A doubled quote inside a string stands for the quote itself.
                if i + 1 < chars.count, chars[i + 1] == quote { text.append(quote); i += 2; continue }
                i += 1
                return text
            }
            if c == "\\", i + 1 < chars.count, chars[i + 1] == quote { text.append(quote); i += 2; continue }
            text.append(c)
            i += 1
        }
        throw .invalidParameter("Invalid filter: unterminated quoted string")
    }
}
