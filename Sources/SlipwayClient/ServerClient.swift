public import AsyncHTTPClient
public import Foundation
import NIOCore
public import NIOHTTP1
import NIOSSL
public import SlipwayCore

/// The HTTP calls made to a Slipway server: a replica to its registry, the command line to the
/// server `--server` names. With AsyncHTTPClient: answers as they are (a 401 is an answer, not a
/// challenge to negotiate), a private CA trusted beside the system's, a refused connection
/// reported at once. Errors come back as `SlipwayError`: the server's own MLflow error JSON, or
/// TEMPORARILY_UNAVAILABLE when it cannot be reached.
public struct ServerClient: Sendable {
    public let base: URL
    /// Sent as `Authorization: Bearer` to a server with auth.
    let token: String?
    let http: HTTPClient

    /// - Parameters:
    ///   - url: `http://` or `https://`, with a host, without a query.
    ///   - certificateAuthority: a PEM file of certificates trusted besides the system's (a
    ///     server whose certificate a private CA signed, or a self-signed one).
    ///   - what: how errors name the option the URL came from (`--registry`, `--server`).
    /// - Throws: INVALID_PARAMETER_VALUE for a URL that is not one, or a CA file that cannot be read.
    public init(url: String, token: String? = nil, certificateAuthority: String? = nil, what: String = "--server") throws(SlipwayError) {
        guard let base = URL(string: url), ["http", "https"].contains(base.scheme?.lowercased() ?? ""), base.host?.isEmpty == false,
            base.query == nil
        else {
            throw .invalidParameter("\(what) must be the server's http:// or https:// URL, got '\(url)'")
        }
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
        // A server that refuses connections is reported at once, not retried until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        // A replica keeps it for the life of the process; a command shuts it down when done.
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Closes the connections; the client must not be used after.
    public func shutdown() async {
        try? await http.shutdown()
    }

    /// GETs `path` (already percent-encoded) and parses the JSON answer.
    public func json(_ path: String, query: [(String, String)] = [], timeout: TimeInterval = 10) async throws -> JSONValue {
        try Self.parse(try await get(path, query: query, timeout: timeout))
    }

    /// GETs `path` with another's credentials (`authorization`, the whole header) in place of
    /// this client's token, and parses the JSON answer.
    public func json(_ path: String, authorization: String, timeout: TimeInterval = 10) async throws -> JSONValue {
        var request = try request(path, query: [], method: .GET)
        request.headers.replaceOrAdd(name: "Authorization", value: authorization)
        return try Self.parse(try await send(request, timeout: timeout))
    }

    /// Sends `body` as JSON with `method` and parses the JSON answer (`null` for an empty one).
    @discardableResult
    public func send(_ method: HTTPMethod, _ path: String, json body: JSONValue?, timeout: TimeInterval = 30) async throws -> JSONValue {
        var request = try request(path, query: [], method: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(JSONWriter.bytes(body))
        }
        let data = try await send(request, timeout: timeout)
        return data.isEmpty ? .null : try Self.parse(data)
    }

    /// Sends `bytes` (a file) with `method` and parses the JSON answer.
    public func upload(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], bytes: [UInt8], contentType: String, timeout: TimeInterval = 300
    ) async throws -> JSONValue {
        var request = try request(path, query: query, method: method)
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(bytes)
        let data = try await send(request, timeout: timeout)
        return data.isEmpty ? .null : try Self.parse(data)
    }

    /// POSTs a JSON body to `path`.
    public func post(_ path: String, json: JSONValue, timeout: TimeInterval = 10) async throws {
        try await send(.POST, path, json: json, timeout: timeout)
    }

    /// GETs `path` and returns the body.
    public func get(_ path: String, query: [(String, String)] = [], timeout: TimeInterval = 60) async throws -> Data {
        try await send(try request(path, query: query, method: .GET), timeout: timeout)
    }

    func request(_ path: String, query: [(String, String)], method: HTTPMethod) throws -> HTTPClientRequest {
        guard var components = URLComponents(url: base, resolvingAgainstBaseURL: false) else {
            throw SlipwayError.invalidParameter("Bad server URL '\(base)'")
        }
        components.percentEncodedPath = components.percentEncodedPath.trimmingSuffix("/") + path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components.url else { throw SlipwayError.invalidParameter("Bad server path '\(path)'") }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return request
    }

    /// Sends `request`; the answer must begin within `timeout` seconds.
    func send(_ request: HTTPClientRequest, timeout: TimeInterval) async throws -> Data {
        let deadline = NIODeadline.now() + .milliseconds(Int64(timeout * 1000))
        let status: Int
        let body: ByteBuffer
        do {
            let response = try await http.execute(request, deadline: deadline)
            status = Int(response.status.code)
            body = try await response.body.collect(upTo: 1 << 34)
        } catch {
            throw SlipwayError(.temporarilyUnavailable, "Server at \(base) is unreachable: \(Self.describe(error))")
        }
        let data = Data(body.readableBytesView)
        guard (200..<300).contains(status) else { throw Self.error(status: status, body: data, url: request.url) }
        return data
    }

    static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { bytes throws(SlipwayError) in try JSONParser.parse(bytes) }
    }

    /// The server's MLflow error JSON as a `SlipwayError`, or a plain description of the status.
    static func error(status: Int, body: Data, url: String) -> SlipwayError {
        let parsed = try? parse(body)
        if let code = parsed?["error_code"]?.stringValue, let message = parsed?["message"]?.stringValue {
            return SlipwayError(ErrorCode(rawValue: code), message)
        }
        let code: ErrorCode = status == 404 ? .endpointNotFound : status >= 500 ? .temporarilyUnavailable : .badRequest
        return SlipwayError(code, "Server answered \(status) for \(URLComponents(string: url)?.path ?? url)")
    }

    /// A transport error as a person reads it.
    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        if let error = error as? BoringSSLError { return "TLS: \(error)" }
        return "\(error)"
    }

    /// One path segment, percent-encoded.
    public static func segment(_ text: String) -> String {
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
