public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// How a webhook request leaves the process: one POST, its status and body back. Tests replace it.
public protocol WebhookTransport: Sendable {
    /// - Throws: when no answer came (refused, timed out, a bad URL).
    func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> (status: Int, body: [UInt8])
}

/// Foundation's URLSession (libcurl on Linux): no extra dependency for a handful of POSTs.
public struct URLSessionWebhookTransport: WebhookTransport {
    let session: URLSession
    let timeout: TimeInterval

    public init(timeoutSeconds: TimeInterval = 10) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeoutSeconds
        session = URLSession(configuration: configuration)
        timeout = timeoutSeconds
    }

    public func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> (status: Int, body: [UInt8]) {
        guard let target = URL(string: url), target.host != nil else { throw URLError(.badURL) }
        var request = URLRequest(url: target)
        request.httpMethod = "POST"
        request.timeoutInterval = timeout
        request.httpBody = Data(body)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, Array(data))
    }
}
