import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import SlipwayCore

/// Signed requests to one bucket with AsyncHTTPClient. A request that fails on the way (a lost
/// connection, a timeout) or that S3 answers with a 5xx or a throttle (429, `SlowDown`) is sent again
/// after a growing, jittered wait; every request Slipway makes can be repeated safely, since bodies
/// are held in memory (at most one part) and keys are written whole or not at all.
struct S3Client: Sendable {
    let settings: S3Settings
    /// Tries per request, the first included.
    var attempts = 5
    /// The first retry waits about this long; each next one twice as long.
    var firstRetryDelay: Duration = .milliseconds(100)

    /// One client for the process, never shut down (it lives as long as the repositories using it).
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10), read: .seconds(60)))
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    struct Request: Sendable {
        var method: HTTPMethod
        /// The object's key; `nil` for the bucket itself.
        var key: String?
        /// Query fields, not yet encoded.
        var query: [(String, String)] = []
        var headers: [(String, String)] = []
        var body: ByteBuffer?
    }

    /// Sends `request` (again, when that can help) and returns S3's answer when its status is 2xx or
    /// one of `accepting` (a 404 a caller expects), with the body still to be read.
    /// - Throws: ``S3Error`` for any other answer, or when the store cannot be reached.
    func send(_ request: Request, accepting: Set<Int> = []) async throws -> HTTPClientResponse {
        var attempt = 1
        while true {
            let outcome: Result<HTTPClientResponse, any Error>
            do {
                outcome = .success(try await Self.http.execute(prepare(request), deadline: .now() + .hours(2)))
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let response) where (200..<300).contains(Int(response.status.code)) || accepting.contains(Int(response.status.code)):
                return response
            case .success(let response):
                let text = (try? await response.body.collect(upTo: 1 << 16)).map { String(buffer: $0) } ?? ""
                let failure = S3Error(
                    status: Int(response.status.code), code: S3XML.value("Code", in: text[...]) ?? "", message: S3XML.value("Message", in: text[...]) ?? "",
                    request: describe(request), endpoint: settings.endpoint)
                guard failure.isTransient, attempt < attempts else { throw failure }
            case .failure(let error):
                guard attempt < attempts else {
                    throw S3Error(status: 0, code: "Unreachable", message: "\(error)", request: describe(request), endpoint: settings.endpoint)
                }
            }
            try await Task.sleep(for: backoff(attempt))
            attempt += 1
        }
    }

    /// The wait before try `attempt + 1`: doubling from `firstRetryDelay`, with up to half of it at random.
    func backoff(_ attempt: Int) -> Duration {
        let base = firstRetryDelay * (1 << min(attempt - 1, 10))
        return base + base * Double.random(in: 0..<0.5)
    }

    func prepare(_ request: Request) -> HTTPClientRequest {
        let path = settings.requestPath(key: request.key)
        let query = request.query.map { (SigV4.encode($0.0), SigV4.encode($0.1)) }
        let payload = request.body.map { SigV4.hex(SHA256.hash(data: $0.readableBytesView)) } ?? SigV4.emptyPayload
        let signer = SigV4(credentials: settings.credentials, region: settings.region)
        var headers = request.headers
        if let body = request.body { headers.append(("Content-Length", String(body.readableBytes))) }
        let signed = signer.sign(method: request.method.rawValue, host: settings.requestHost, path: path, query: query, headers: headers, payloadHash: payload, time: Date())
        var out = HTTPClientRequest(url: "\(settings.scheme)://\(settings.requestHost)\(path)" + (query.isEmpty ? "" : "?" + query.map { "\($0.0)=\($0.1)" }.joined(separator: "&")))
        out.method = request.method
        out.headers.add(name: "Host", value: settings.requestHost)
        for (name, value) in headers + signed { out.headers.add(name: name, value: value) }
        if let body = request.body { out.body = .bytes(body) }
        return out
    }

    /// A URL anyone holding it may send `method` to until `expires` seconds from now.
    func presignedURL(method: String, key: String, query: [(String, String)], expires: Int) -> String {
        let path = settings.requestPath(key: key)
        let signer = SigV4(credentials: settings.credentials, region: settings.region)
        let fields = signer.presignedQuery(
            method: method, host: settings.requestHost, path: path, query: query.map { (SigV4.encode($0.0), SigV4.encode($0.1)) }, expires: expires, time: Date())
        return "\(settings.scheme)://\(settings.requestHost)\(path)?" + fields.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    func describe(_ request: Request) -> String {
        "\(request.method.rawValue) s3://\(settings.bucket)/\(request.key ?? "")"
    }
}

/// What S3 answered when it refused, or why it could not be reached.
struct S3Error: Error, CustomStringConvertible {
    /// The HTTP status; 0 when no answer came.
    var status: Int
    /// S3's error code (`NoSuchBucket`, `SlowDown`, ...).
    var code: String
    var message: String
    var request: String
    var endpoint: String

    /// Worth sending again: no answer, a 5xx, or a throttle.
    var isTransient: Bool {
        status == 0 || status >= 500 || status == 429 || code == "SlowDown" || code == "RequestTimeout"
    }

    var description: String {
        let what = status == 0 ? "could not reach S3 at \(endpoint): \(message)" : "S3 at \(endpoint) answered \(status)\(code.isEmpty ? "" : " \(code)")\(message.isEmpty ? "" : ": \(message)")"
        let hint: String
        switch code {
        case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken", "InvalidToken":
            hint = " (check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN)"
        case "NoSuchBucket": hint = " (create the bucket, or fix --artifacts-destination)"
        default: hint = ""
        }
        return "\(request): \(what)\(hint)"
    }

    /// As the API reports it: unavailable when S3 is (the client may try later), else an internal error.
    var slipwayError: SlipwayError {
        switch code {
        case "NoSuchUpload", "InvalidPart", "InvalidPartOrder", "EntityTooSmall":
            // A multipart upload's id or parts, as the client sent them.
            return .invalidParameter("Artifact storage refused the upload: \(description)")
        default:
            return SlipwayError(isTransient ? .temporarilyUnavailable : .internalError, "Artifact storage failed: \(description)")
        }
    }
}
