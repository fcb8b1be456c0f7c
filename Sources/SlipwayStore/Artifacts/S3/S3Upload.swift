import Crypto
import NIOCore
import SlipwayCore

/// A file on its way to S3, streamed: bytes gather into a part of `partSize`; the first full part
/// starts a multipart upload, and up to `maxInFlight` parts are sent while the next one fills. A file
/// smaller than one part is sent whole when committed. At most `(maxInFlight + 1) × partSize` bytes are
/// held, whatever the file's size. Nothing is visible under the key until the upload completes.
final class S3Upload: ArtifactUpload {
    let path: ArtifactPath
    let key: String
    let client: S3Client
    let partSize: Int
    let maxInFlight: Int
    var buffer: ByteBuffer
    var hasher = SHA256()
    var size: Int64 = 0
    var uploadID: String?
    var nextPart = 1
    var inFlight: [Task<(number: Int, etag: String), any Error>] = []
    var sent: [(number: Int, etag: String)] = []

    init(path: ArtifactPath, key: String, client: S3Client, partSize: Int, maxInFlight: Int) {
        self.path = path
        self.key = key
        self.client = client
        self.partSize = partSize
        self.maxInFlight = maxInFlight
        buffer = ByteBuffer()
    }

    func append(_ bytes: [UInt8]) async throws {
        hasher.update(data: bytes)
        size += Int64(bytes.count)
        var offset = 0
        while offset < bytes.count {
            if buffer.capacity < partSize { buffer.reserveCapacity(partSize) }
            let take = min(partSize - buffer.readableBytes, bytes.count - offset)
            buffer.writeBytes(bytes[offset..<(offset + take)])
            offset += take
            if buffer.readableBytes == partSize {
                let part = buffer
                buffer = ByteBuffer()
                do {
                    try await send(part)
                } catch let error as S3Error {
                    throw error.slipwayError
                }
            }
        }
    }

    /// Starts sending one part, after waiting for the oldest when `maxInFlight` are on their way.
    func send(_ part: ByteBuffer) async throws {
        let id: String
        if let uploadID {
            id = uploadID
        } else {
            id = try await client.createMultipartUpload(key)
            uploadID = id
        }
        if inFlight.count >= maxInFlight { sent.append(try await inFlight.removeFirst().value) }
        let (client, key, number) = (client, key, nextPart)
        nextPart += 1
        inFlight.append(Task { (number, try await client.uploadPart(key, uploadID: id, number: number, body: part)) })
    }

    /// Sends what is left and makes the object: one PUT for a small file, else the last part and the
    /// completion. Returns the whole file's digest.
    func finish() async throws -> ArtifactDigest {
        if let uploadID {
            if buffer.readableBytes > 0 { try await send(buffer) }
            buffer = ByteBuffer()
            for task in inFlight { sent.append(try await task.value) }
            inFlight = []
            try await client.completeMultipartUpload(key, uploadID: uploadID, parts: sent)
        } else {
            try await client.putObject(key, body: buffer)
        }
        return ArtifactDigest(sha256: ArtifactManifest.hex(hasher.finalize()), size: size)
    }

    /// Stops the parts on their way and discards those S3 holds; the abort is sent even when the
    /// caller's task is being cancelled (a stopped job, a client gone), so no parts are left behind.
    func cancel() async {
        for task in inFlight { task.cancel() }
        for task in inFlight { _ = try? await task.value }
        inFlight = []
        buffer = ByteBuffer()
        if let uploadID {
            let (client, key) = (client, key)
            await Task { try? await client.abortMultipartUpload(key, uploadID: uploadID) }.value
        }
        uploadID = nil
    }
}
