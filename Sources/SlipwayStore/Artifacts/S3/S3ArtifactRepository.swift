import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
public import SlipwayCore

/// Artifacts as objects in an S3-compatible bucket (`--artifacts-destination s3://bucket/prefix`),
/// each file's SHA-256 recorded in the store's database as for files on disk. Uploads and downloads
/// stream; what must be a local file (a model to load, a dataset to read) is copied into a cache
/// directory and checked against its recorded digest first.
public struct S3ArtifactRepository: MultipartArtifactRepository {
    public let settings: S3Settings
    let client: S3Client
    let digests: ArtifactDigests
    /// Verified local copies: `trees/<tree digest>/` for model directories, `files/<sha256>` for single files.
    let cache: String
    /// Bytes per part of a streamed upload (S3's minimum is 5 MiB).
    var partSize = 8 << 20
    /// How long a signed part URL of MLflow's multipart upload stays valid, in seconds.
    var presignedExpiry = 3600

    /// - Parameters:
    ///   - cacheDirectory: where verified local copies go; created if missing.
    public init(settings: S3Settings, database: StoreDatabase, cacheDirectory: String, now: @escaping @Sendable () -> Int64 = WallClock.milliseconds) throws {
        self.settings = settings
        client = S3Client(settings: settings)
        digests = ArtifactDigests(database: database, now: now)
        cache = cacheDirectory
        try FileManager.default.createDirectory(atPath: cache + "/trees", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: cache + "/files", withIntermediateDirectories: true)
    }

    /// Checks that the bucket is there and the credentials may list it (what a server does before it starts).
    public func checkAccess() async throws {
        try await storage { try await client.checkBucket() }
    }

    /// Runs an S3 call, reporting its failure as the API reports errors.
    func storage<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as S3Error {
            throw error.slipwayError
        }
    }

    public func beginUpload(_ path: ArtifactPath) throws -> any ArtifactUpload {
        guard !path.isRoot else { throw SlipwayError.invalidParameter("An artifact upload needs a file path") }
        return S3Upload(path: path, key: settings.key(path), client: client, partSize: partSize, maxInFlight: 3)
    }

    public func commit(_ upload: any ArtifactUpload) async throws -> ArtifactDigest {
        guard let upload = upload as? S3Upload else { throw SlipwayError(.internalError, "Foreign upload handle") }
        let digest: ArtifactDigest
        do {
            digest = try await storage { try await upload.finish() }
        } catch {
            await upload.cancel()
            throw error
        }
        try await digests.record(upload.path, digest)
        return digest
    }

    public func abort(_ upload: any ArtifactUpload) async {
        await (upload as? S3Upload)?.cancel()
    }

    public func list(_ path: ArtifactPath) async throws -> [ArtifactFile]? {
        let prefix = directoryPrefix(path)
        let (objects, prefixes) = try await storage { try await client.list(prefix: prefix, delimiter: "/") }
        guard !objects.isEmpty || !prefixes.isEmpty else { return nil }
        var entries = objects.compactMap { object -> ArtifactFile? in
            let name = String(object.key.dropFirst(prefix.count))
            return name.isEmpty ? nil : ArtifactFile(path: name, isDirectory: false, size: object.size)
        }
        entries += prefixes.map { ArtifactFile(path: String($0.dropFirst(prefix.count).dropLast()), isDirectory: true, size: nil) }
        return entries.filter { !$0.path.isEmpty }.sorted { $0.path < $1.path }
    }

    /// The key prefix of everything inside a directory (ends with `/`, or is empty for the bucket's root).
    func directoryPrefix(_ path: ArtifactPath) -> String {
        let key = settings.key(path)
        return key.isEmpty ? "" : key + "/"
    }

    public func open(_ path: ArtifactPath) async throws -> ArtifactContent? {
        guard !path.isRoot, let response = try await storage({ try await client.getObject(settings.key(path)) }) else { return nil }
        let reader = BodyReader(response.body.makeAsyncIterator())
        let size = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        return .stream(size: size, chunks: ArtifactChunks { try await reader.next() })
    }

    public func localFile(_ path: ArtifactPath) async throws -> String? {
        guard !path.isRoot else { return nil }
        let recorded = try await digests.digest(path)
        let name = recorded?.sha256 ?? "key-" + ArtifactManifest.hex(SHA256.hash(data: Array(settings.key(path).utf8)))
        let target = cache + "/files/" + name
        if let recorded, FileManager.default.fileExists(atPath: target), (try? FileArtifactRepository.sha256(ofFile: target).0) == recorded.sha256 {
            return target
        }
        let temporary = cache + "/files/.download-" + IDGenerator.hex32()
        defer { unlink(temporary) }
        guard let actual = try await download(settings.key(path), to: temporary) else { return nil }
        if let recorded, actual.sha256 != recorded.sha256 {
            throw SlipwayError(.invalidState, "Artifact '\(path)' does not match its recorded digest (sha256 \(actual.sha256.prefix(12))..., recorded \(recorded.sha256.prefix(12))...)")
        }
        guard rename(temporary, target) == 0 else { throw SlipwayError(.internalError, "Could not keep a copy of '\(path)' in \(cache)") }
        return target
    }

    public func digest(_ path: ArtifactPath) async throws -> ArtifactDigest? {
        try await digests.digest(path)
    }

    public func delete(_ path: ArtifactPath) async throws {
        guard !path.isRoot else { throw SlipwayError.invalidParameter("Refusing to delete the artifact root") }
        let key = settings.key(path)
        var keys = try await storage { try await client.list(prefix: key + "/", delimiter: nil) }.objects.map(\.key)
        if try await storage({ try await client.headObject(key) }) != nil { keys.append(key) }
        guard !keys.isEmpty else { throw SlipwayError.notFound("No such artifact: '\(path)'") }
        try await storage {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, key) in keys.enumerated() {
                    if index >= 8 { try await group.next() }
                    group.addTask { try await client.deleteObject(key) }
                }
                try await group.waitForAll()
            }
        }
        try await digests.forget(path)
    }

    public func verifyTree(_ path: ArtifactPath) async throws -> VerifiedArtifactTree {
        let prefix = directoryPrefix(path)
        let objects = try await storage { try await client.list(prefix: prefix, delimiter: nil) }.objects
        guard !objects.isEmpty else { throw SlipwayError.notFound("No artifact directory '\(path)'") }
        let relatives = try objects.map { try ArtifactPath(String($0.key.dropFirst(prefix.count))).description }
        let keys = relatives.map { path.isRoot ? $0 : path.description + "/" + $0 }
        let recorded = try await digests.digests(keys)
        var files: [ArtifactManifest.File] = []
        for (relative, key) in zip(relatives, keys) {
            guard let digest = recorded[key] else {
                throw SlipwayError(.invalidState, "Artifact '\(key)' has no recorded digest (it was not uploaded through Slipway)")
            }
            files.append(ArtifactManifest.File(path: relative, sha256: digest.sha256, size: digest.size))
        }
        files.sort { $0.path < $1.path }
        let treeDigest = ArtifactManifest.hex(SHA256.hash(data: ArtifactManifest.treeDigestInput(files)))
        let directory = cache + "/trees/" + treeDigest
        if FileManager.default.fileExists(atPath: directory), files.allSatisfy({ (try? FileArtifactRepository.sha256(ofFile: directory + "/" + $0.path).0) == $0.sha256 }) {
            return VerifiedArtifactTree(directory: directory, digest: treeDigest, files: files)
        }
        try? FileManager.default.removeItem(atPath: directory)
        let temporary = cache + "/trees/.download-" + IDGenerator.hex32()
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        for file in files {
            let target = temporary + "/" + file.path
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let key = path.isRoot ? file.path : path.description + "/" + file.path
            guard let actual = try await download(settings.key(try ArtifactPath(key)), to: target) else {
                throw SlipwayError.notFound("Artifact '\(key)' disappeared while it was read")
            }
            guard actual.sha256 == file.sha256 else {
                throw SlipwayError(.invalidState, "Artifact '\(key)' does not match its recorded digest (sha256 \(actual.sha256.prefix(12))..., recorded \(file.sha256.prefix(12))...)")
            }
        }
        // Another caller may have made the same copy meanwhile: theirs is as good as ours.
        if rename(temporary, directory) != 0 && !FileManager.default.fileExists(atPath: directory) {
            throw SlipwayError(.internalError, "Could not keep a copy of '\(path)' in \(cache): \(String(cString: strerror(errno)))")
        }
        return VerifiedArtifactTree(directory: directory, digest: treeDigest, files: files)
    }

    /// Reads an object into a local file (or only hashes it, without `file`), picking up where it
    /// stopped when the connection drops mid-body. `nil` when there is no such key.
    func download(_ key: String, to file: String?) async throws -> ArtifactDigest? {
        var handle: FileHandle?
        if let file {
            unlink(file)
            guard FileManager.default.createFile(atPath: file, contents: nil), let opened = FileHandle(forWritingAtPath: file) else {
                throw SlipwayError(.internalError, "Cannot write '\(file)'")
            }
            handle = opened
        }
        defer { try? handle?.close() }
        var hasher = SHA256()
        var written: Int64 = 0
        var interruptions = 0
        var etag: String?
        while true {
            guard let response = try await storage({ try await client.getObject(key, from: written, etag: etag) }) else { return nil }
            if etag == nil { etag = response.headers.first(name: "ETag") }
            do {
                for try await buffer in response.body {
                    if let handle {
                        do {
                            try buffer.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
                        } catch {
                            throw SlipwayError(.internalError, "Cannot write a copy of s3://\(settings.bucket)/\(key) into \(cache): \(error.localizedDescription)")
                        }
                    }
                    hasher.update(data: buffer.readableBytesView)
                    written += Int64(buffer.readableBytes)
                }
                return ArtifactDigest(sha256: ArtifactManifest.hex(hasher.finalize()), size: written)
            } catch let error as SlipwayError {
                throw error
            } catch {
                interruptions += 1
                guard interruptions < client.attempts else {
                    throw SlipwayError(.temporarilyUnavailable, "Artifact storage failed: reading s3://\(settings.bucket)/\(key) stopped \(interruptions) times, last: \(error)")
                }
            }
        }
    }
}

/// One reader's pull on a response body (the body's iterator is not meant to be shared).
private final class BodyReader: @unchecked Sendable {
    var iterator: HTTPClientResponse.Body.AsyncIterator

    init(_ iterator: HTTPClientResponse.Body.AsyncIterator) {
        self.iterator = iterator
    }

    func next() async throws -> [UInt8]? {
        try await iterator.next().map { Array($0.readableBytesView) }
    }
}
