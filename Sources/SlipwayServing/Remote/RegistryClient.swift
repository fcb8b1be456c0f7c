import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SlipwayCore

/// The HTTP calls a replica makes to the registry it follows, with Foundation's URLSession (libcurl
/// on Linux): no extra dependency for a handful of GETs. Errors come back as `SlipwayError`: the
/// registry's own MLflow error JSON, or TEMPORARILY_UNAVAILABLE when it cannot be reached.
struct RegistryClient: Sendable {
    let base: URL
    let session: URLSession
    /// Sent as `Authorization: Bearer` to a registry with auth.
    let token: String?

    init(base: URL, token: String? = nil) {
        self.base = base
        self.token = token
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 120
        configuration.httpMaximumConnectionsPerHost = 4
        session = URLSession(configuration: configuration)
    }

    /// GETs `path` (already percent-encoded) and parses the JSON answer.
    func json(_ path: String, query: [(String, String)] = [], timeout: TimeInterval = 10) async throws -> JSONValue {
        let data = try await get(path, query: query, timeout: timeout)
        return try data.withUnsafeBytes { bytes throws(SlipwayError) in try JSONParser.parse(bytes) }
    }

    /// POSTs a JSON body to `path`.
    func post(_ path: String, json: JSONValue, timeout: TimeInterval = 10) async throws {
        var request = try request(path, query: [], timeout: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(JSONWriter.bytes(json))
        _ = try await send(request)
    }

    /// GETs `path` and returns the body.
    func get(_ path: String, query: [(String, String)] = [], timeout: TimeInterval = 60) async throws -> Data {
        try await send(try request(path, query: query, timeout: timeout))
    }

    func request(_ path: String, query: [(String, String)], timeout: TimeInterval) throws -> URLRequest {
        guard var components = URLComponents(url: base, resolvingAgainstBaseURL: false) else {
            throw SlipwayError.invalidParameter("Bad registry URL '\(base)'")
        }
        components.percentEncodedPath = components.percentEncodedPath.trimmingSuffix("/") + path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components.url else { throw SlipwayError.invalidParameter("Bad registry path '\(path)'") }
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        return request
    }

    func send(_ request: URLRequest) async throws -> Data {
        let url = request.url!
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw SlipwayError(.temporarilyUnavailable, "Registry at \(base) is unreachable: \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else { throw Self.error(status: status, body: data, url: url) }
        return data
    }

    /// The registry's MLflow error JSON as a `SlipwayError`, or a plain description of the status.
    static func error(status: Int, body: Data, url: URL) -> SlipwayError {
        let parsed = try? body.withUnsafeBytes { bytes throws(SlipwayError) in try JSONParser.parse(bytes) }
        if let code = parsed?["error_code"]?.stringValue, let message = parsed?["message"]?.stringValue {
            return SlipwayError(ErrorCode(rawValue: code), message)
        }
        let code: ErrorCode = status == 404 ? .endpointNotFound : status >= 500 ? .temporarilyUnavailable : .badRequest
        return SlipwayError(code, "Registry answered \(status) for \(url.path)")
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
