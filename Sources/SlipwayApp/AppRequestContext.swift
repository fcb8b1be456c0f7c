public import Hummingbird
public import SlipwayCore
public import SlipwayHTTP
import NIOCore

/// The request context of every router Slipway runs: Hummingbird's core storage, and who is asking.
public struct AppRequestContext: SlipwayRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthMiddleware`; nil on a server without auth.
    public var identity: AuthIdentity?
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    public var clientAddress: String? { channel.remoteAddress?.ipAddress }
}
