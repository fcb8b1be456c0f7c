import AsyncHTTPClient
public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOCore

/// How a webhook request leaves the process: one POST, its status and body back. Tests replace it.
public protocol WebhookTransport: Sendable {
    /// - Throws: when no answer came (refused, timed out, a bad URL).
    func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> (status: Int, body: [UInt8])
}

/// AsyncHTTPClient, one connection pool for the process. (Foundation's URLSession on Linux could
/// deadlock when a delivery was cancelled as its answer arrived: a shutdown, a test's timeout.)
/// A refused connection fails at once; redirects are not followed: a webhook's answer is its own.
public struct HTTPWebhookTransport: WebhookTransport {
    let timeout: TimeInterval

    /// Shared by every transport, for the life of the process.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(timeoutSeconds: TimeInterval = 10) {
        timeout = timeoutSeconds
    }

    public func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> (status: Int, body: [UInt8]) {
        guard let target = URL(string: url), target.host != nil, ["http", "https"].contains(target.scheme?.lowercased() ?? "") else {
            throw URLError(.badURL)
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(body)
        let deadline = NIODeadline.now() + .milliseconds(Int64(timeout * 1000))
        let response = try await Self.client.execute(request, deadline: deadline)
        let answer = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), Array(answer.readableBytesView))
    }
}
