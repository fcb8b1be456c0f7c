import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SlipwayCore

/// The HTTP calls made to another Slipway server (a replica to its registry), with AsyncHTTPClient:
/// its answers as they are (a 401 is an answer, not a challenge to negotiate), and a private CA
/// trusted beside the system's. Errors come back as `SlipwayError`: the server's own MLflow error
/// JSON, or TEMPORARILY_UNAVAILABLE when it cannot be reached.
struct RegistryClient: Sendable {
    let base: URL
    /// Sent as `Authorization: Bearer` to a server with auth.
    let token: String?
    let http: HTTPClient

    /// - Parameter certificateAuthority: a PEM file of certificates trusted besides the system's
    ///   (a registry whose certificate a private CA signed, or a self-signed one).
    init(base: URL, token: String? = nil, certificateAuthority: String? = nil) throws(SlipwayError) {
        self.base = base
        self.token = token
        var tls = TLSConfiguration.makeClientConfiguration()
        if let certificateAuthority {
            do {
                tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(certificateAuthority))]
            } catch {
                throw .invalidParameter("Cannot read the CA certificate '\(certificateAuthority)' (PEM certificates are expected): \(error)")
            }
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, timeout: .init(connect: .seconds(10)))
        configuration.httpVersion = .http1Only
        // A registry that refuses connections is reported at once (the model host polls again
        // anyway), not retried until the request's deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        // Lives as long as the process: a replica's source, or a command's one client.
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// GETs `path` (already percent-encoded) and parses the JSON answer.
    func json(_ path: String, query: [(String, String)] = [], timeout: TimeInterval = 10) async throws -> JSONValue {
        let data = try await get(path, query: query, timeout: timeout)
        return try data.withUnsafeBytes { bytes throws(SlipwayError) in try JSONParser.parse(bytes) }
    }

    /// POSTs a JSON body to `path`.
    func post(_ path: String, json: JSONValue, timeout: TimeInterval = 10) async throws {
        var request = try request(path, query: [], method: .POST)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(JSONWriter.bytes(json))
        _ = try await send(request, timeout: timeout)
    }

    /// GETs `path` and returns the body.
    func get(_ path: String, query: [(String, String)] = [], timeout: TimeInterval = 60) async throws -> Data {
        try await send(try request(path, query: query, method: .GET), timeout: timeout)
    }

    func request(_ path: String, query: [(String, String)], method: HTTPMethod) throws -> HTTPClientRequest {
        guard var components = URLComponents(url: base, resolvingAgainstBaseURL: false) else {
            throw SlipwayError.invalidParameter("Bad registry URL '\(base)'")
        }
        components.percentEncodedPath = components.percentEncodedPath.trimmingSuffix("/") + path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components.url else { throw SlipwayError.invalidParameter("Bad registry path '\(path)'") }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return request
    }

    /// Sends `request`; the whole answer must arrive within `timeout` seconds.
    func send(_ request: HTTPClientRequest, timeout: TimeInterval) async throws -> Data {
        let deadline = NIODeadline.now() + .milliseconds(Int64(timeout * 1000))
        let status: Int
        let body: ByteBuffer
        do {
            let response = try await http.execute(request, deadline: deadline)
            status = Int(response.status.code)
            body = try await response.body.collect(upTo: 1 << 34)
        } catch {
            throw SlipwayError(.temporarilyUnavailable, "Registry at \(base) is unreachable: \(Self.describe(error))")
        }
        let data = Data(body.readableBytesView)
        guard (200..<300).contains(status) else { throw Self.error(status: status, body: data, url: request.url) }
        return data
    }

    /// The registry's MLflow error JSON as a `SlipwayError`, or a plain description of the status.
    static func error(status: Int, body: Data, url: String) -> SlipwayError {
        let parsed = try? body.withUnsafeBytes { bytes throws(SlipwayError) in try JSONParser.parse(bytes) }
        if let code = parsed?["error_code"]?.stringValue, let message = parsed?["message"]?.stringValue {
            return SlipwayError(ErrorCode(rawValue: code), message)
        }
        let code: ErrorCode = status == 404 ? .endpointNotFound : status >= 500 ? .temporarilyUnavailable : .badRequest
        return SlipwayError(code, "Registry answered \(status) for \(URLComponents(string: url)?.path ?? url)")
    }

    /// A transport error as a person reads it (NIOSSL's and AsyncHTTPClient's errors describe themselves tersely).
    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        if let error = error as? BoringSSLError { return "TLS: \(error)" }
        return "\(error)"
    }

    /// One path segment, percent-encoded.
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/;?#%")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
