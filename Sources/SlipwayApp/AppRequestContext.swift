public import Hummingbird
public import SlipwayHTTP

/// The request context of every router Slipway runs: Hummingbird's core storage, and who is asking.
public struct AppRequestContext: SlipwayRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// No authentication yet: every request acts as `api`.
    public var actor = "api"

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}
