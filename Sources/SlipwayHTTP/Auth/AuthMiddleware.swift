import Foundation
import Synchronization
public import HTTPTypes
public import Hummingbird
public import SlipwayCore

/// How a server authenticates.
public struct AuthSettings: Sendable {
    /// Serving routes need a token with the `predict` scope (`--serving-auth`); else they are open.
    public var servingAuth: Bool
    /// How long a token, once checked against the store, is trusted from memory: a revocation
    /// made by another process (`slipway tokens revoke`) takes effect within this time.
    public var cacheMilliseconds: Int64

    public init(servingAuth: Bool = false, cacheMilliseconds: Int64 = 2000) {
        self.servingAuth = servingAuth
        self.cacheMilliseconds = cacheMilliseconds
    }
}

/// Authenticates every request that is not open (`RouteScopes`) and checks its scopes before any
/// route runs. Credentials as the MLflow client sends them: `Authorization: Bearer <token>`
/// (`MLFLOW_TRACKING_TOKEN`), or `Basic` with the user's name and a token of theirs as the password
/// (`MLFLOW_TRACKING_USERNAME`/`MLFLOW_TRACKING_PASSWORD`). No or unknown credentials: 401
/// UNAUTHENTICATED; a token without the route's scope: 403 PERMISSION_DENIED; both in MLflow's
/// error JSON. The identity goes into the context: the audit log's actor is the authenticated user.
public struct AuthMiddleware<Context: SlipwayRequestContext>: RouterMiddleware {
    let store: any AuthStore
    let settings: AuthSettings
    let now: @Sendable () -> Int64
    let cache = IdentityCache()

    public init(store: any AuthStore, settings: AuthSettings, now: @escaping @Sendable () -> Int64 = WallClock.milliseconds) {
        self.store = store
        self.settings = settings
        self.now = now
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let needed: [TokenScope]
        switch RouteScopes.need(request.method, request.uri.path) {
        case .open: return try await next(request, context)
        case .serving:
            guard settings.servingAuth else { return try await next(request, context) }
            needed = [.predict]
        case .scopes(let scopes): needed = scopes
        }
        guard let header = request.headers[.authorization] else {
            return Self.unauthenticated("This server requires authentication: send a token as 'Authorization: Bearer <token>' (MLFLOW_TRACKING_TOKEN)")
        }
        guard let identity = try await identify(header) else {
            return Self.unauthenticated("The credentials sent are not a live token (unknown, expired or revoked)")
        }
        guard needed.allSatisfy(identity.allows) else {
            let missing = needed.filter { !identity.allows($0) }.map(\.rawValue).joined(separator: ", ")
            return .mlflowError(SlipwayError(
                .permissionDenied, "User '\(identity.user)' may not \(request.method) \(request.uri.path): it needs the \(missing) scope"))
        }
        var context = context
        context.identity = identity
        return try await next(request, context)
    }

    /// The identity behind an Authorization header, or nil.
    func identify(_ header: String) async throws -> AuthIdentity? {
        guard header.utf8.count <= 1024, let space = header.utf8.firstIndex(of: UInt8(ascii: " ")) else { return nil }
        // The scheme is case-insensitive; the credentials have no spaces around them.
        let scheme = header.utf8[..<space].map { $0 | 0x20 }
        let credentials = String(Substring(header.utf8[header.utf8.index(after: space)...]).drop { $0 == " " })
        switch String(decoding: scheme, as: UTF8.self) {
        case "bearer":
            return try await authenticate(credentials)
        case "basic":
            guard let data = Data(base64Encoded: credentials), let text = String(data: data, encoding: .utf8),
                  let colon = text.firstIndex(of: ":") else { return nil }
            let (user, password) = (String(text[..<colon]), String(text[text.index(after: colon)...]))
            guard let identity = try await authenticate(password), identity.user == user else { return nil }
            return identity
        default:
            return nil
        }
    }

    /// A token's identity, from memory while it is fresh, else from the store.
    func authenticate(_ token: String) async throws -> AuthIdentity? {
        let time = now()
        if let identity = cache.identity(token, at: time) { return identity }
        guard let identity = try await store.authenticate(token: token, at: time) else { return nil }
        cache.keep(token, identity, until: min(time + settings.cacheMilliseconds, identity.expiresAt ?? .max))
        return identity
    }

    static func unauthenticated(_ message: String) -> Response {
        var response = Response.mlflowError(SlipwayError(.unauthenticated, message), status: .unauthorized)
        response.headers[.wwwAuthenticate] = #"Bearer realm="slipway", Basic realm="slipway""#
        return response
    }
}

/// Tokens recently found live, with their identities, each until a time. Bounded: past 10,000
/// entries it starts afresh. Unknown tokens are never kept, so guesses cannot fill it.
final class IdentityCache: Sendable {
    private let entries = Mutex<[String: (identity: AuthIdentity, until: Int64)]>([:])

    func identity(_ token: String, at time: Int64) -> AuthIdentity? {
        entries.withLock { entries in
            guard let entry = entries[token] else { return nil }
            guard entry.until > time else {
                entries[token] = nil
                return nil
            }
            return entry.identity
        }
    }

    func keep(_ token: String, _ identity: AuthIdentity, until: Int64) {
        entries.withLock { entries in
            if entries.count >= 10_000 { entries.removeAll(keepingCapacity: true) }
            entries[token] = (identity, until)
        }
    }
}
