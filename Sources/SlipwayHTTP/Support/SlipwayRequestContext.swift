public import Hummingbird

/// What Slipway's routes read from a request's context. The composition root (SlipwayApp) owns
/// the concrete type and fills it in; every router of both servers uses it.
public protocol SlipwayRequestContext: RequestContext where Source == ApplicationRequestContextSource {
    /// Who is asking, as the audit log names them: `api` until authentication names a user.
    var actor: String { get }
}
