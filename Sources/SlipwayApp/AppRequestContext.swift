public import Hummingbird
public import SlipwayCore
public import SlipwayHTTP

/// The request context of every router Slipway runs: Hummingbird's core storage, and who is asking.
public struct AppRequestContext: SlipwayRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthMiddleware`; nil on a server without auth.
    public var identity: AuthIdentity?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}
