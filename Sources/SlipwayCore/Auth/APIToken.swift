/// What a token may do. A scope implies the ones below it where the server needs them together:
/// `write` and `promote` read as well (the MLflow client reads before it writes), and `admin` may
/// do everything. `predict` is for serving routes alone (`--serving-auth`).
public enum TokenScope: String, CaseIterable, Sendable, Comparable {
    case read, write, promote, admin, predict

    /// Whether a token holding `self` may do what `needed` guards.
    public func allows(_ needed: TokenScope) -> Bool {
        switch (self, needed) {
        case (.admin, _): true
        case (.write, .read), (.promote, .read): true
        default: self == needed
        }
    }

    /// `read,write` or `read write`: each scope once, in declaration order.
    /// - Throws: INVALID_PARAMETER_VALUE naming an unknown scope or an empty list.
    public static func parse(_ texts: [String]) throws(SlipwayError) -> [TokenScope] {
        var scopes: Set<TokenScope> = []
        for part in texts.flatMap({ $0.split(whereSeparator: { $0 == "," || $0 == " " }) }) {
            guard let scope = TokenScope(rawValue: part.lowercased()) else {
                throw .invalidParameter("Unknown scope '\(part)': scopes are \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            scopes.insert(scope)
        }
        guard !scopes.isEmpty else { throw .invalidParameter("A token needs at least one scope (\(allCases.map(\.rawValue).joined(separator: ", ")))") }
        return allCases.filter(scopes.contains)
    }

    public static func < (a: TokenScope, b: TokenScope) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A person or a machine that authenticates. Admins may do everything, whatever their token says.
public struct User: Sendable, Equatable {
    public var name: String
    public var isAdmin: Bool
    public var createdAt: Int64

    public init(name: String, isAdmin: Bool, createdAt: Int64) {
        self.name = name
        self.isAdmin = isAdmin
        self.createdAt = createdAt
    }

    /// 1 to 100 bytes of letters, digits and `_ . @ -`: a name that reads the same in a URL, a log and an audit record.
    public static func validate(name: String) throws(SlipwayError) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || [0x5F, 0x2E, 0x40, 0x2D].contains(byte)
        }
        guard !name.isEmpty, name.utf8.count <= 100, allowed else {
            throw .invalidParameter("A user name is 1 to 100 letters, digits, '_', '.', '@' or '-', got '\(name.prefix(120))'")
        }
    }
}

/// A token as listed: everything but its secret, which is shown once, when it is created, and
/// stored only as a hash. `id` is the public part of the token text (`slw_<id>_<secret>`), so a
/// token in a log or a leaked file can be found and revoked.
public struct APIToken: Sendable, Equatable {
    public var id: String
    public var name: String
    public var user: String
    public var scopes: [TokenScope]
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var lastUsedAt: Int64?
    public var revokedAt: Int64?

    public init(
        id: String, name: String, user: String, scopes: [TokenScope], createdAt: Int64, expiresAt: Int64?, lastUsedAt: Int64? = nil,
        revokedAt: Int64? = nil
    ) {
        self.id = id
        self.name = name
        self.user = user
        self.scopes = scopes
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    /// The prefix every token text starts with.
    public static let prefix = "slw_"

    /// `active`, `revoked` or `expired` at `time`.
    public func state(at time: Int64) -> String {
        if revokedAt != nil { return "revoked" }
        if let expiresAt, expiresAt <= time { return "expired" }
        return "active"
    }

    /// The `id` of a token text, or nil when the text has not a token's shape.
    public static func id(of text: String) -> String? {
        guard text.hasPrefix(prefix), text.utf8.count <= 200 else { return nil }
        let parts = text.dropFirst(prefix.count).split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == idLength, parts[1].count == secretLength,
              parts.allSatisfy({ $0.utf8.allSatisfy(Self.alphabet.utf8.contains) }) else { return nil }
        return String(parts[0])
    }

    /// Lowercase base 32 without look-alikes' trouble (RFC 4648's letters, lowercased, and digits 2-7).
    public static let alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    public static let idLength = 10        // 50 bits: unique among a server's tokens
    public static let secretLength = 32    // 160 bits of secret

    /// A new token text from a cryptographically secure generator.
    public static func generate() -> (id: String, text: String) {
        var generator = SystemRandomNumberGenerator()
        let letters = Array(alphabet)
        func random(_ count: Int) -> String { String((0..<count).map { _ in letters[Int(generator.next() % 32)] }) }
        let id = random(idLength)
        return (id, "\(prefix)\(id)_\(random(secretLength))")
    }

    /// A token's lifetime as written on the command line (`90d`, `12h`, `30m`), in milliseconds; nil for `never`.
    public static func lifetime(_ text: String) throws(SlipwayError) -> Int64? {
        if text == "never" { return nil }
        if let length = TimeBound.length(text) { return length }
        throw .invalidParameter("A token's lifetime is a length such as 90d, 12h or 30m, or 'never', got '\(text.prefix(40))'")
    }
}

/// Who a request is: the user, their token's scopes, and whether they are an admin.
public struct AuthIdentity: Sendable, Equatable {
    public var user: String
    public var scopes: [TokenScope]
    public var isAdmin: Bool
    /// The token used, or nil for a password login.
    public var tokenID: String?
    /// When the token expires, if it does.
    public var expiresAt: Int64?

    public init(user: String, scopes: [TokenScope], isAdmin: Bool, tokenID: String?, expiresAt: Int64? = nil) {
        self.user = user
        self.scopes = scopes
        self.isAdmin = isAdmin
        self.tokenID = tokenID
        self.expiresAt = expiresAt
    }

    public func allows(_ needed: TokenScope) -> Bool {
        isAdmin || scopes.contains { $0.allows(needed) }
    }
}

extension AuthIdentity {
    /// The identity as `GET /api/v1/tokens/current` answers it.
    public var json: JSONValue {
        .object([
            ("user", .string(user)), ("scopes", .array(scopes.map { .string($0.rawValue) })), ("admin", .bool(isAdmin)),
            ("token_id", tokenID.map { .string($0) } ?? .null), ("expires_at", expiresAt.map { .int($0) } ?? .null),
        ])
    }

    /// - Throws: INVALID_PARAMETER_VALUE for JSON that is not an identity.
    public init(json: JSONValue) throws(SlipwayError) {
        guard let user = json["user"]?.stringValue, let scopes = json["scopes"]?.arrayValue else {
            throw .invalidParameter("Not a token's identity: \(JSONWriter.string(json).prefix(200))")
        }
        var expiresAt: Int64?
        if case .number(let value)? = json["expires_at"] { expiresAt = Int64(value) }
        self.init(
            user: user, scopes: scopes.compactMap { $0.stringValue.flatMap(TokenScope.init(rawValue:)) }, isAdmin: json["admin"] == .bool(true),
            tokenID: json["token_id"]?.stringValue, expiresAt: expiresAt)
    }
}
