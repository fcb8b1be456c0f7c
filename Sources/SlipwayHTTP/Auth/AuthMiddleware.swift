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
    /// Requests per token and class, per address on open routes, and the failed-login backoff.
    public var rateLimits: RateLimits
    /// What a user holds on a registered model without a grant of their own (`--default-permission`):
    /// MANAGE lets the scopes alone decide; READ is MLflow's default; NO_PERMISSIONS hides every
    /// model nobody granted.
    public var defaultPermission: Permission

    public init(
        servingAuth: Bool = false, cacheMilliseconds: Int64 = 2000, rateLimits: RateLimits = .defaults, defaultPermission: Permission = .manage
    ) {
        self.servingAuth = servingAuth
        self.cacheMilliseconds = cacheMilliseconds
        self.rateLimits = rateLimits
        self.defaultPermission = defaultPermission
    }
}

/// Authenticates every request that is not open (`RouteScopes`), checks its scopes and its rate
/// limit before any route runs. Credentials as the MLflow client sends them: `Authorization:
/// Bearer <token>` (`MLFLOW_TRACKING_TOKEN`), or `Basic` with the user's name and a token of
/// theirs as the password (`MLFLOW_TRACKING_USERNAME`/`MLFLOW_TRACKING_PASSWORD`). No or unknown
/// credentials: 401 UNAUTHENTICATED; a token without the route's scope: 403 PERMISSION_DENIED;
/// over a rate limit, or guessing after repeated failed logins from one address: 429
/// REQUEST_LIMIT_EXCEEDED with Retry-After; all in MLflow's error JSON. The identity goes into the
/// context: the audit log's actor is the authenticated user.
public struct AuthMiddleware<Context: SlipwayRequestContext>: RouterMiddleware {
    /// Who a token is (nil: not a live token), given the whole Authorization header and the token
    /// in it: the store's answer on a server, the registry's on a replica.
    public typealias Authenticate = @Sendable (_ header: String, _ token: String, _ at: Int64) async throws -> AuthIdentity?

    let authenticate: Authenticate
    let settings: AuthSettings
    let now: @Sendable () -> Int64
    let cache: IdentityCache
    let limiter: RateLimiter
    /// Per-model permissions on Slipway's own model routes.
    let gate: PermissionGate?

    /// - Parameter signals: tokens revoked on other servers sharing the database: what is kept of a
    ///   token is dropped when one is.
    public init(
        store: any AuthStore, settings: AuthSettings, gate: PermissionGate? = nil, signals: ChangeSignals? = nil,
        now: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) {
        self.init(authenticate: { _, token, time in try await store.authenticate(token: token, at: time) }, settings: settings, gate: gate, signals: signals, now: now)
    }

    public init(
        authenticate: @escaping Authenticate, settings: AuthSettings, gate: PermissionGate? = nil, signals: ChangeSignals? = nil,
        now: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) {
        self.authenticate = authenticate
        self.settings = settings
        self.gate = gate
        self.now = now
        self.limiter = RateLimiter(settings: settings.rateLimits)
        cache = IdentityCache(signals: signals)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let needed: [TokenScope]
        let serving: Bool
        switch RouteScopes.need(request.method, request.head.path ?? "/") {
        case .open: return try await open(request, context: context, next: next)
        case .serving:
            guard settings.servingAuth else { return try await open(request, context: context, next: next) }
            (needed, serving) = (predictScope, true)
        case .scopes(let scopes): (needed, serving) = (scopes, false)
        }
        guard let header = request.headers[.authorization] else {
            return Self.unauthenticated("This server requires authentication: send a token as 'Authorization: Bearer <token>' (MLFLOW_TRACKING_TOKEN)")
        }
        let time = now()
        let identity: AuthIdentity
        switch try await identify(header, context: context, at: time) {
        case .known(let known): identity = known
        case .unknown: return Self.unauthenticated("The credentials sent are not a live token (unknown, expired or revoked)")
        case .backingOff(let wait):
            return Self.limited(wait, "Too many failed logins from \(context.clientAddress ?? "this address"): retry in \(Self.seconds(wait)) s")
        }
        guard needed.allSatisfy(identity.allows) else {
            let missing = needed.filter { !identity.allows($0) }.map(\.rawValue).joined(separator: ", ")
            return .mlflowError(SlipwayError(
                .permissionDenied, "User '\(identity.user)' may not \(request.method) \(request.uri.path): it needs the \(missing) scope"))
        }
        let rateClass = RateClass(needed.max() ?? .read)
        if case .limited(let wait) = limiter.take(identity.tokenID ?? identity.user, rateClass, at: time) {
            let limit = settings.rateLimits.limits[rateClass]
            return Self.limited(
                wait, "Rate limit exceeded: \(limit?.description ?? "") \(rateClass.rawValue) requests per token; retry in \(Self.seconds(wait)) s",
                policy: (rateClass, limit))
        }
        // Routes of one model or experiment outside MLflow's API: Slipway's, the dashboard's, the artifact proxy's.
        // (Serving routes are left to the predict scope: nothing more is asked of a prediction.)
        if let gate, !serving, !identity.isAdmin, let (resource, needed) = PathResources.resource(request.method, request.head.path ?? "/") {
            switch resource {
            case .model(let name): try await gate.require(identity, needed, .registeredModel, name)
            case .experiment(let id): try await gate.require(identity, needed, .experiment, id)
            case .artifacts(let path): try await gate.requireArtifacts(identity, needed, path: path)
            case .runs(let ids):
                if try await gate.constrains(identity, .experiment) {
                    for run in ids { try await gate.require(identity, needed, .experiment, try await gate.experimentOfRun(run)) }
                }
            case .reserved:
                throw SlipwayError(.permissionDenied, "Only an admin may reach Slipway's own folder of the artifact store (job outputs): read them at /api/v1/jobs/{name}/runs/{id}/output")
            case .root:
                if try await gate.constrains(identity, .experiment) {
                    throw SlipwayError(.permissionDenied, "Only an admin may list the artifact store's root; name an experiment's folder")
                }
            }
        }
        var context = context
        context.identity = identity
        return try await next(request, context)
    }

    /// A route that needs no token: counted per client address when the `open` class has a limit.
    func open(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if limiter.limits(.open), let address = context.clientAddress, case .limited(let wait) = limiter.take(address, .open, at: now()) {
            let limit = settings.rateLimits.limits[.open]
            return Self.limited(
                wait, "Rate limit exceeded: \(limit?.description ?? "") requests per address; retry in \(Self.seconds(wait)) s", policy: (.open, limit))
        }
        return try await next(request, context)
    }

    enum Outcome {
        case known(AuthIdentity)
        case unknown
        /// The address failed to log in too often: its credentials are not even checked for this long.
        case backingOff(Int64)
    }

    /// The identity behind an Authorization header. A token found live recently answers from
    /// memory; anything else is checked against the store, unless its address is backing off, and
    /// counts as a failed login when it is not a live token.
    func identify(_ header: String, context: Context, at time: Int64) async throws -> Outcome {
        // Keyed by the whole header: a hit costs one hash, no parsing. Basic credentials are only
        // kept once their user name matched the token's.
        if let identity = cache.identity(header, at: time) { return .known(identity) }
        guard let (token, user) = Self.credentials(header) else { return failed(context, at: time) }
        let address = context.clientAddress
        let generation = cache.signals?.generation(.token) ?? 0
        if let address, case .limited(let wait) = limiter.loginBlocked(address, at: time) { return .backingOff(wait) }
        guard let identity = try await authenticate(header, token, time), user == nil || identity.user == user else {
            return failed(context, at: time)
        }
        cache.keep(header, identity, until: min(time + settings.cacheMilliseconds, identity.expiresAt ?? .max), generation: generation)
        return .known(identity)
    }

    func failed(_ context: Context, at time: Int64) -> Outcome {
        if let address = context.clientAddress { limiter.loginFailed(address, at: time) }
        return .unknown
    }

    /// The token, and the user name of Basic credentials; nil for a header that is neither.
    static func credentials(_ header: String) -> (token: String, user: String?)? {
        guard header.utf8.count <= 1024, let space = header.utf8.firstIndex(of: UInt8(ascii: " ")) else { return nil }
        // The scheme is case-insensitive; the credentials have no spaces around them.
        let scheme = header.utf8[..<space]
        let credentials = String(Substring(header.utf8[header.utf8.index(after: space)...]).drop { $0 == " " })
        func named(_ name: String) -> Bool { scheme.count == name.utf8.count && zip(scheme, name.utf8).allSatisfy { $0 | 0x20 == $1 } }
        switch scheme {
        case _ where named("bearer"):
            return credentials.isEmpty ? nil : (credentials, nil)
        case _ where named("basic"):
            guard let data = Data(base64Encoded: credentials), let text = String(data: data, encoding: .utf8),
                  let colon = text.firstIndex(of: ":") else { return nil }
            return (String(text[text.index(after: colon)...]), String(text[..<colon]))
        default:
            return nil
        }
    }

    static func unauthenticated(_ message: String) -> Response {
        var response = Response.mlflowError(SlipwayError(.unauthenticated, message), status: .unauthorized)
        response.headers[.wwwAuthenticate] = #"Bearer realm="slipway", Basic realm="slipway""#
        return response
    }

    /// 429 with `Retry-After`, and the limit in the IETF RateLimit headers when one was exceeded.
    static func limited(_ waitMilliseconds: Int64, _ message: String, policy: (RateClass, RateLimit?)? = nil) -> Response {
        var response = Response.mlflowError(SlipwayError(.requestLimitExceeded, message), status: .tooManyRequests)
        let wait = seconds(waitMilliseconds)
        response.headers[.retryAfter] = String(wait)
        if let (rateClass, limit) = policy, let limit {
            response.headers[.rateLimitPolicy] = "\"\(rateClass.rawValue)\";q=\(limit.requests);w=\(limit.windowSeconds)"
            response.headers[.rateLimit] = "\"\(rateClass.rawValue)\";r=0;t=\(wait)"
        }
        return response
    }

    /// Milliseconds as whole seconds, rounded up, at least 1.
    static func seconds(_ milliseconds: Int64) -> Int64 { max(1, (milliseconds + 999) / 1000) }
}

/// What a serving route needs with `--serving-auth`, built once.
private let predictScope: [TokenScope] = [.predict]

extension HTTPField.Name {
    static let rateLimitPolicy = Self("RateLimit-Policy")!
    static let rateLimit = Self("RateLimit")!
}

/// Authorization headers recently found to carry a live token, with their identities, each until
/// a time. Bounded: past 10,000 entries it starts afresh. Unknown credentials are never kept, so
/// guesses cannot fill it.
final class IdentityCache: Sendable {
    struct Entry {
        let identity: AuthIdentity
        let until: Int64
        /// The generation of token changes on other servers it was read under.
        let generation: Int
    }

    private let entries = Mutex<[String: Entry]>([:])
    let signals: ChangeSignals?

    init(signals: ChangeSignals?) {
        self.signals = signals
    }

    func identity(_ header: String, at time: Int64) -> AuthIdentity? {
        let generation = signals?.generation(.token) ?? 0
        return entries.withLock { entries in
            guard let entry = entries[header] else { return nil }
            guard entry.until > time, entry.generation == generation else {
                entries[header] = nil
                return nil
            }
            return entry.identity
        }
    }

    /// Keeps an identity read under `generation` (read before the store was asked).
    func keep(_ header: String, _ identity: AuthIdentity, until: Int64, generation: Int) {
        entries.withLock { entries in
            if entries.count >= 10_000 { entries.removeAll(keepingCapacity: true) }
            entries[header] = Entry(identity: identity, until: until, generation: generation)
        }
    }
}
