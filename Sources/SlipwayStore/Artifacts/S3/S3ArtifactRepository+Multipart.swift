import Crypto
public import SlipwayCore

/// MLflow's proxied multipart upload (`mpu/create|complete|abort`): the client sends each part
/// straight to S3 with a URL the server signed, then asks the server to assemble them. The server
/// never sees the bytes on their way in, so it reads the assembled object back once to record its
/// digest: the file is only known to Slipway once that digest is recorded.
extension S3ArtifactRepository {
    public func createMultipartUpload(_ path: ArtifactPath, parts: Int) async throws -> MultipartUploadGrant {
        guard !path.isRoot else { throw SlipwayError.invalidParameter("A multipart upload needs a file path") }
        guard (1...10_000).contains(parts) else {
            throw SlipwayError.invalidParameter("num_parts must be between 1 and 10000 (got \(parts))")
        }
        let key = settings.key(path)
        let uploadID = try await storage { try await client.createMultipartUpload(key) }
        let urls = (1...parts).map { number in
            MultipartUploadGrant.Part(
                number: number,
                value: client.presignedURL(method: "PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)], expires: presignedExpiry))
        }
        return MultipartUploadGrant(uploadID: uploadID, parts: urls)
    }

    public func completeMultipartUpload(_ path: ArtifactPath, uploadID: String, parts: [MultipartUploadGrant.Part], limit: Int64) async throws -> ArtifactDigest {
        guard !path.isRoot else { throw SlipwayError.invalidParameter("A multipart upload needs a file path") }
        guard !uploadID.isEmpty else { throw SlipwayError.invalidParameter("Missing upload_id") }
        guard !parts.isEmpty else { throw SlipwayError.invalidParameter("A multipart upload needs at least one part") }
        let key = settings.key(path)
        // What was recorded of a file this one replaces no longer holds once it is assembled.
        try await digests.forget(path)
        try await storage { try await client.completeMultipartUpload(key, uploadID: uploadID, parts: parts.map { ($0.number, $0.value) }) }
        if let size = try await storage({ try await client.headObject(key) }), size > limit {
            try await storage { try await client.deleteObject(key) }
            throw SlipwayError.invalidParameter("Artifact '\(path)' is \(size) bytes, over the limit of \(limit) bytes: it was not kept")
        }
        guard let digest = try await download(key, to: nil) else {
            throw SlipwayError(.internalError, "Artifact '\(path)' was assembled but cannot be read back")
        }
        try await digests.record(path, digest)
        return digest
    }

    public func abortMultipartUpload(_ path: ArtifactPath, uploadID: String) async throws {
        guard !uploadID.isEmpty else { throw SlipwayError.invalidParameter("Missing upload_id") }
        try await storage { try await client.abortMultipartUpload(settings.key(path), uploadID: uploadID) }
    }
}
