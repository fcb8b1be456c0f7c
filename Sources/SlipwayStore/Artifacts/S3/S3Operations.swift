import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The S3 calls artifacts need, over ``S3Client/send(_:accepting:)``.
extension S3Client {
    /// An object under a listed prefix.
    struct Object: Sendable, Hashable {
        var key: String
        var size: Int64
    }

    /// Checks that the bucket exists and the credentials may use it.
    func checkBucket() async throws {
        let response = try await send(Request(method: .GET, key: nil, query: [("list-type", "2"), ("max-keys", "1")] + prefixQuery))
        _ = try await response.body.collect(upTo: 1 << 20)
    }

    private var prefixQuery: [(String, String)] {
        settings.prefix.isEmpty ? [] : [("prefix", settings.prefix + "/")]
    }

    func putObject(_ key: String, body: ByteBuffer) async throws {
        let response = try await send(Request(method: .PUT, key: key, headers: [("Content-Type", "application/octet-stream")], body: body))
        _ = try await response.body.collect(upTo: 1 << 16)
    }

    /// The object's bytes from `offset` on, still to be read; `nil` when there is no such key.
    /// - Parameter etag: the version read so far, when resuming (`If-Match`).
    func getObject(_ key: String, from offset: Int64 = 0, etag: String? = nil) async throws -> HTTPClientResponse? {
        var range: [(String, String)] = offset > 0 ? [("Range", "bytes=\(offset)-")] : []
        if let etag, offset > 0 { range.append(("If-Match", etag)) }
        let response = try await send(Request(method: .GET, key: key, headers: range), accepting: [404])
        if response.status == .notFound {
            let text = (try? await response.body.collect(upTo: 1 << 16)).map { String(buffer: $0) } ?? ""
            if let code = S3XML.value("Code", in: text[...]), code != "NoSuchKey" {
                throw S3Error(status: 404, code: code, message: S3XML.value("Message", in: text[...]) ?? "", request: "GET s3://\(settings.bucket)/\(key)", endpoint: settings.endpoint)
            }
            return nil
        }
        // A resumed read must be the rest of the same object, not all of it again.
        if offset > 0, response.status != .partialContent {
            _ = try? await response.body.collect(upTo: 1 << 16)
            throw S3Error(status: Int(response.status.code), code: "", message: "asked for bytes from \(offset) on, got the whole object", request: "GET s3://\(settings.bucket)/\(key)", endpoint: settings.endpoint)
        }
        return response
    }

    /// The object's size, or `nil` when there is no such key.
    func headObject(_ key: String) async throws -> Int64? {
        let response = try await send(Request(method: .HEAD, key: key), accepting: [404])
        _ = try? await response.body.collect(upTo: 1 << 16)
        guard response.status != .notFound else { return nil }
        return response.headers.first(name: "Content-Length").flatMap { Int64($0) } ?? 0
    }

    func deleteObject(_ key: String) async throws {
        let response = try await send(Request(method: .DELETE, key: key), accepting: [404])
        _ = try? await response.body.collect(upTo: 1 << 16)
    }

    /// Every object and common prefix under `prefix` (one level when `delimiter` is set), page by page.
    func list(prefix: String, delimiter: String?) async throws -> (objects: [Object], prefixes: [String]) {
        var objects: [Object] = []
        var prefixes: [String] = []
        var token: String?
        repeat {
            var query: [(String, String)] = [("list-type", "2"), ("prefix", prefix), ("encoding-type", "url")]
            if let delimiter { query.append(("delimiter", delimiter)) }
            if let token { query.append(("continuation-token", token)) }
            let response = try await send(Request(method: .GET, key: nil, query: query))
            let text = String(buffer: try await response.body.collect(upTo: 64 << 20))[...]
            for entry in S3XML.elements("Contents", in: text) {
                guard let key = S3XML.value("Key", in: entry) else { continue }
                let decoded = Self.urlDecoded(key)
                // A zero-byte "folder" some consoles create is not a file.
                if decoded.hasSuffix("/") { continue }
                objects.append(Object(key: decoded, size: S3XML.value("Size", in: entry).flatMap { Int64($0) } ?? 0))
            }
            for entry in S3XML.elements("CommonPrefixes", in: text) {
                if let value = S3XML.value("Prefix", in: entry) { prefixes.append(Self.urlDecoded(value)) }
            }
            token = nil
            if S3XML.value("IsTruncated", in: text) == "true" {
                guard let next = S3XML.value("NextContinuationToken", in: text), !next.isEmpty else {
                    throw S3Error(status: 200, code: "", message: "a truncated listing without a continuation token", request: "GET s3://\(settings.bucket)/?prefix=\(prefix)", endpoint: settings.endpoint)
                }
                token = next
            }
        } while token != nil
        return (objects, prefixes)
    }

    /// A key as `encoding-type=url` writes it: `+` for a space, `%XX` for the rest.
    static func urlDecoded(_ text: String) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    func createMultipartUpload(_ key: String) async throws -> String {
        let response = try await send(Request(method: .POST, key: key, query: [("uploads", "")], headers: [("Content-Type", "application/octet-stream")]))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard let id = S3XML.value("UploadId", in: text[...]), !id.isEmpty else {
            throw S3Error(status: Int(response.status.code), code: "", message: "no UploadId in the answer", request: "POST s3://\(settings.bucket)/\(key)?uploads", endpoint: settings.endpoint)
        }
        return id
    }

    /// Sends one part; returns its ETag.
    func uploadPart(_ key: String, uploadID: String, number: Int, body: ByteBuffer) async throws -> String {
        let response = try await send(Request(method: .PUT, key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: body))
        _ = try await response.body.collect(upTo: 1 << 16)
        return response.headers.first(name: "ETag") ?? ""
    }

    /// Assembles the parts, in number order. S3 may answer 200 with an error in the body; that is an error too.
    func completeMultipartUpload(_ key: String, uploadID: String, parts: [(number: Int, etag: String)]) async throws {
        let xml = "<CompleteMultipartUpload>" + parts.sorted { $0.number < $1.number }.map {
            "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(S3XML.escape($0.etag))</ETag></Part>"
        }.joined() + "</CompleteMultipartUpload>"
        for attempt in 1...attempts {
            let response = try await send(Request(method: .POST, key: key, query: [("uploadId", uploadID)], headers: [("Content-Type", "application/xml")], body: ByteBuffer(string: xml)))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))[...]
            guard let code = S3XML.value("Code", in: S3XML.elements("Error", in: text).first ?? "") else { return }
            // S3 may answer 200 and fail in the body; its own errors are worth another try.
            let transient = ["InternalError", "SlowDown", "ServiceUnavailable"].contains(code)
            let failure = S3Error(status: transient ? 500 : Int(response.status.code), code: code, message: S3XML.value("Message", in: text) ?? "",
                                  request: "POST s3://\(settings.bucket)/\(key)?uploadId", endpoint: settings.endpoint)
            guard transient, attempt < attempts else { throw failure }
            try await Task.sleep(for: backoff(attempt))
        }
    }

    func abortMultipartUpload(_ key: String, uploadID: String) async throws {
        let response = try await send(Request(method: .DELETE, key: key, query: [("uploadId", uploadID)]), accepting: [404])
        _ = try? await response.body.collect(upTo: 1 << 16)
    }
}
