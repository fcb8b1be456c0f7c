public import Hummingbird
public import SlipwayCore

/// What Slipway's routes read from a request's context. The composition root (SlipwayApp) owns
/// the concrete type and fills it in; every router of both servers uses it.
public protocol SlipwayRequestContext: RequestContext where Source == ApplicationRequestContextSource {
    /// Who is asking, as `AuthMiddleware` authenticated them; nil on a server without auth.
    var identity: AuthIdentity? { get set }
    /// The connected client's IP address (rate limits of open routes, failed-login backoff).
    var clientAddress: String? { get }
}

extension SlipwayRequestContext {
    /// Who is asking, as the audit log names them: the authenticated user, or `api` without auth.
    public var actor: String { identity?.user ?? "api" }
}
