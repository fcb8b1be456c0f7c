import Crypto
import Foundation

/// AWS Signature Version 4 for S3 and S3-compatible stores (MinIO, moto), written with
/// swift-crypto: the signing key derived from the secret, date, region and service, and the
/// `Authorization` header over a canonical form of the request. The request's path and query are
/// signed exactly as they are sent, so callers build them with `encode` (each byte outside
/// RFC 3986's unreserved set as `%XX`; a path keeps its slashes).
struct SigV4: Sendable {
    struct Credentials: Sendable, Equatable {
        var accessKey: String
        var secretKey: String
        /// Temporary credentials' token (`AWS_SESSION_TOKEN`), sent as `x-amz-security-token`.
        var sessionToken: String?
    }

    let credentials: Credentials
    let region: String
    var service = "s3"

    /// SHA-256 of an empty body, hex.
    static let emptyPayload = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// A body sent without its digest in the signature (a stream whose digest is not known yet).
    static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// The headers to add to a request: `x-amz-date`, `x-amz-content-sha256`, the session token
    /// if any, and `Authorization`.
    /// - Parameters:
    ///   - host: as sent in the `Host` header (with a port that is not the scheme's default).
    ///   - path: encoded, from `/`.
    ///   - query: encoded `key=value` pairs, in any order.
    ///   - headers: the other headers that are signed (names in any case).
    ///   - payloadHash: the body's SHA-256 in hex, or `unsignedPayload`.
    ///   - time: seconds since the epoch.
    func sign(
        method: String, host: String, path: String, query: [(String, String)], headers: [(String, String)], payloadHash: String, time: Date
    ) -> [(String, String)] {
        let stamp = Self.stamp(time)
        let day = String(stamp.prefix(8))
        var signed: [(String, String)] = headers.map { ($0.0.lowercased(), Self.trimmed($0.1)) }
        signed.append(("host", host))
        signed.append(("x-amz-content-sha256", payloadHash))
        signed.append(("x-amz-date", stamp))
        if let token = credentials.sessionToken { signed.append(("x-amz-security-token", token)) }
        signed.sort { $0.0 < $1.0 }
        let names = signed.map(\.0).joined(separator: ";")
        let canonicalQuery = query.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let canonical = [
            method, path.isEmpty ? "/" : path, canonicalQuery, signed.map { "\($0.0):\($0.1)\n" }.joined(), names, payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = ["AWS4-HMAC-SHA256", stamp, scope, Self.hex(SHA256.hash(data: Array(canonical.utf8)))].joined(separator: "\n")
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: signingKey(day: day)))
        var added: [(String, String)] = [("x-amz-date", stamp), ("x-amz-content-sha256", payloadHash)]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        added.append(("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKey)/\(scope), SignedHeaders=\(names), Signature=\(signature)"))
        return added
    }

    /// A presigned URL's query: the request's own `query` plus the `X-Amz-*` fields that sign it,
    /// valid for `expires` seconds from `time`. Only `host` is signed and the body is not, so whoever
    /// holds the URL can send it (what MLflow's multipart upload hands to its client for each part).
    func presignedQuery(method: String, host: String, path: String, query: [(String, String)], expires: Int, time: Date) -> [(String, String)] {
        let stamp = Self.stamp(time)
        let day = String(stamp.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        var fields = query
        fields.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        fields.append(("X-Amz-Credential", Self.encode("\(credentials.accessKey)/\(scope)")))
        fields.append(("X-Amz-Date", stamp))
        fields.append(("X-Amz-Expires", String(expires)))
        if let token = credentials.sessionToken { fields.append(("X-Amz-Security-Token", Self.encode(token))) }
        fields.append(("X-Amz-SignedHeaders", "host"))
        let canonicalQuery = fields.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let canonical = [method, path.isEmpty ? "/" : path, canonicalQuery, "host:\(host)\n", "host", Self.unsignedPayload].joined(separator: "\n")
        let toSign = ["AWS4-HMAC-SHA256", stamp, scope, Self.hex(SHA256.hash(data: Array(canonical.utf8)))].joined(separator: "\n")
        fields.append(("X-Amz-Signature", Self.hex(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: signingKey(day: day)))))
        return fields
    }

    func signingKey(day: String) -> SymmetricKey {
        func mac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key)))
        }
        let date = mac(SymmetricKey(data: Array("AWS4\(credentials.secretKey)".utf8)), day)
        return mac(mac(mac(date, region), service), "aws4_request")
    }

    /// `20261204T123600Z`.
    static func stamp(_ time: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: time)
        func two(_ n: Int?) -> String { String(format: "%02d", n ?? 0) }
        return String(format: "%04d", c.year ?? 0) + two(c.month) + two(c.day) + "T" + two(c.hour) + two(c.minute) + two(c.second) + "Z"
    }

    /// `text` with every byte outside RFC 3986's unreserved characters as `%XX` (and `/` kept in a path).
    static func encode(_ text: String, path: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(UnicodeScalar(byte))
            if (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || "-._~".contains(c) || (path && byte == 0x2F) {
                out.append(c)
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// A header value as signed: outer spaces trimmed, inner runs of spaces made one.
    static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
