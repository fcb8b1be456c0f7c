import Foundation
public import SlipwayCore

/// Where S3 artifacts go and how to reach them: `--artifacts-destination s3://bucket/prefix` and the
/// environment MLflow and the AWS tools read (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`, `AWS_REGION`/`AWS_DEFAULT_REGION`, `MLFLOW_S3_ENDPOINT_URL` or
/// `AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL` for MinIO, moto and other S3-compatible stores).
public struct S3Settings: Sendable, Equatable {
    public var bucket: String
    /// Keys start with this and a slash, unless it is empty.
    public var prefix: String
    /// `http` or `https`.
    public var scheme: String
    /// The endpoint's host (without the bucket) and port.
    public var host: String
    public var port: Int?
    public var region: String
    var credentials: SigV4.Credentials
    /// `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key`. The default on a
    /// custom endpoint (MinIO, moto); `SLIPWAY_S3_ADDRESSING_STYLE=path|virtual` chooses.
    public var pathStyle: Bool

    /// Reads the destination and the environment.
    /// - Throws: `INVALID_PARAMETER_VALUE` naming what is missing or malformed.
    public init(destination: String, environment: [String: String]) throws(SlipwayError) {
        guard destination.hasPrefix("s3://") else {
            throw .invalidParameter("Artifacts destination '\(destination)' is not an s3://bucket/prefix URI")
        }
        let rest = destination.dropFirst("s3://".count)
        let bucket = String(rest.prefix { $0 != "/" })
        guard Self.isValidBucket(bucket) else {
            throw .invalidParameter("'\(bucket)' in '\(destination)' is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)")
        }
        self.bucket = bucket
        prefix = rest.dropFirst(bucket.count).split(separator: "/").joined(separator: "/")
        func value(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        guard let accessKey = value("AWS_ACCESS_KEY_ID"), let secretKey = value("AWS_SECRET_ACCESS_KEY") else {
            throw .invalidParameter("S3 artifacts need credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones)")
        }
        credentials = SigV4.Credentials(accessKey: accessKey, secretKey: secretKey, sessionToken: value("AWS_SESSION_TOKEN"))
        region = value("AWS_REGION", "AWS_DEFAULT_REGION") ?? "us-east-1"
        let endpoint = value("MLFLOW_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
        if let endpoint {
            guard let url = URLComponents(string: endpoint), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                let host = url.host, !host.isEmpty
            else {
                throw .invalidParameter("S3 endpoint '\(endpoint)' is not an http:// or https:// URL")
            }
            self.scheme = scheme
            self.host = host
            port = url.port
        } else {
            scheme = "https"
            host = "s3.\(region).amazonaws.com"
            port = nil
        }
        switch value("SLIPWAY_S3_ADDRESSING_STYLE")?.lowercased() {
        case "path": pathStyle = true
        case "virtual": pathStyle = false
        case nil, "auto": pathStyle = endpoint != nil || bucket.contains(".")
        case let other?: throw .invalidParameter("SLIPWAY_S3_ADDRESSING_STYLE must be path, virtual or auto (got '\(other)')")
        }
    }

    /// The destination as given, normalized: `s3://bucket/prefix`.
    public var destination: String { "s3://\(bucket)" + (prefix.isEmpty ? "" : "/" + prefix) }

    /// The endpoint as a URL (`http://127.0.0.1:9000`), for messages.
    public var endpoint: String { "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "") }

    /// The object key of an artifact path (the prefix, a slash, the path).
    func key(_ path: ArtifactPath) -> String {
        prefix.isEmpty ? path.description : path.isRoot ? prefix : prefix + "/" + path.description
    }

    /// The `Host` header of a request: the bucket's own host in virtual-host style.
    var requestHost: String {
        (pathStyle ? host : "\(bucket).\(host)") + (port.map { ":\($0)" } ?? "")
    }

    /// The encoded path of a key's URL (the bucket first in path style).
    func requestPath(key: String?) -> String {
        let encodedKey = key.map { SigV4.encode($0, path: true) } ?? ""
        return pathStyle ? "/\(bucket)/" + encodedKey : "/" + encodedKey
    }

    static func isValidBucket(_ name: String) -> Bool {
        let ends = Set("abcdefghijklmnopqrstuvwxyz0123456789")
        let inside = ends.union(".-")
        guard (3...63).contains(name.count), let first = name.first, let last = name.last else { return false }
        return ends.contains(first) && ends.contains(last) && name.allSatisfy(inside.contains)
    }
}
