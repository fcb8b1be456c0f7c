import Crypto
import Foundation
public import SlipwayCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Artifacts as files under one root directory, with each file's SHA-256 recorded in the
/// `artifacts` table of the store's database.
public struct FileArtifactRepository: ArtifactRepository {
    public let root: String
    let digests: ArtifactDigests
    static let temporaryMarker = ".slipway-upload-"

    /// - Parameters:
    ///   - root: the directory that holds every artifact; created if missing.
    ///   - database: where digests are recorded.
    public init(root: String, database: StoreDatabase, now: @escaping @Sendable () -> Int64 = WallClock.milliseconds) throws {
        self.root = root
        digests = ArtifactDigests(database: database, now: now)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func location(_ path: ArtifactPath) -> String {
        path.isRoot ? root : root + "/" + path.segments.joined(separator: "/")
    }

    final class FileUpload: ArtifactUpload {
        let path: ArtifactPath
        let temporary: String
        let destination: String
        /// The temporary file, open for writing; `nil` once closed.
        var file: FileHandle?
        var hasher = SHA256()
        var size: Int64 = 0

        init(path: ArtifactPath, temporary: String, destination: String, descriptor: Int32) {
            self.path = path
            self.temporary = temporary
            self.destination = destination
            self.file = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        }

        func append(_ bytes: [UInt8]) async throws {
            guard let file, !bytes.isEmpty else { return }
            hasher.update(data: bytes)
            do {
                try bytes.withUnsafeBytes { try file.write(contentsOf: $0) }
            } catch {
                throw SlipwayError(.internalError, "Could not write artifact '\(path)': \(error.localizedDescription)")
            }
            size += Int64(bytes.count)
        }

        /// Flushes the file to disk (what a commit needs before the rename).
        func flush() throws {
            try file?.synchronize()
        }

        func close() {
            try? file?.close()
            file = nil
        }
    }

    public func beginUpload(_ path: ArtifactPath) throws -> any ArtifactUpload {
        guard !path.isRoot else { throw SlipwayError.invalidParameter("An artifact upload needs a file path") }
        let destination = location(path)
        let directory = (destination as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue {
            throw SlipwayError.invalidParameter("Cannot upload to '\(path)': it is a directory")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SlipwayError.invalidParameter("Cannot upload to '\(path)': a parent is a file")
        }
        let temporary = directory + "/" + Self.temporaryMarker + IDGenerator.hex32()
        let descriptor = createExclusively(temporary)
        guard descriptor >= 0 else {
            throw SlipwayError(.internalError, "Could not create artifact file for '\(path)': \(String(cString: strerror(errno)))")
        }
        return FileUpload(path: path, temporary: temporary, destination: destination, descriptor: descriptor)
    }

    public func commit(_ upload: any ArtifactUpload) async throws -> ArtifactDigest {
        guard let upload = upload as? FileUpload else { throw SlipwayError(.internalError, "Foreign upload handle") }
        do {
            try upload.flush()
        } catch {
            discard(upload)
            throw SlipwayError(.internalError, "Could not flush artifact '\(upload.path)': \(error.localizedDescription)")
        }
        upload.close()
        guard rename(upload.temporary, upload.destination) == 0 else {
            discard(upload)
            throw SlipwayError(.internalError, "Could not store artifact '\(upload.path)': \(String(cString: strerror(errno)))")
        }
        let digest = ArtifactDigest(sha256: Self.hex(upload.hasher.finalize()), size: upload.size)
        try await digests.record(upload.path, digest)
        return digest
    }

    public func verifyTree(_ path: ArtifactPath) async throws -> VerifiedArtifactTree {
        let directory = location(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SlipwayError.notFound("No artifact directory '\(path)'")
        }
        var files: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            var childIsDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: directory + "/" + relative, isDirectory: &childIsDirectory)
            if !childIsDirectory.boolValue && !(relative as NSString).lastPathComponent.hasPrefix(Self.temporaryMarker) { files.append(relative) }
        }
        files.sort()
        guard !files.isEmpty else { throw SlipwayError.notFound("Artifact directory '\(path)' is empty") }
        let prefix = path.isRoot ? "" : path.description + "/"
        let keys = files.map { prefix + $0 }
        let recorded = try await digests.digests(keys).mapValues(\.sha256)
        var verified: [ArtifactManifest.File] = []
        for (relative, key) in zip(files, keys) {
            guard let expected = recorded[key] else {
                throw SlipwayError(.invalidState, "Artifact '\(key)' has no recorded digest (it was not uploaded through Slipway)")
            }
            let (actual, size) = try Self.sha256(ofFile: directory + "/" + relative)
            guard actual == expected else {
                throw SlipwayError(.invalidState, "Artifact '\(key)' does not match its recorded digest (sha256 \(actual.prefix(12))..., recorded \(expected.prefix(12))...)")
            }
            verified.append(ArtifactManifest.File(path: relative, sha256: actual, size: size))
        }
        let digest = Self.hex(SHA256.hash(data: ArtifactManifest.treeDigestInput(verified)))
        return VerifiedArtifactTree(directory: directory, digest: digest, files: verified)
    }

    /// A file's SHA-256 (hex) and size.
    static func sha256(ofFile file: String) throws -> (String, Int64) {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw SlipwayError(.invalidState, "Cannot read artifact file '\(file)'") }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        return (hex(hasher.finalize()), size)
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        ArtifactManifest.hex(digest)
    }

    public func abort(_ upload: any ArtifactUpload) async {
        discard(upload)
    }

    func discard(_ upload: any ArtifactUpload) {
        guard let upload = upload as? FileUpload else { return }
        upload.close()
        unlink(upload.temporary)
    }

    public func list(_ path: ArtifactPath) async throws -> [ArtifactFile]? {
        let directory = location(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        return names.compactMap { name in
            if name.hasPrefix(Self.temporaryMarker) { return nil }
            let full = directory + "/" + name
            var childIsDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &childIsDirectory) else { return nil }
            if childIsDirectory.boolValue { return ArtifactFile(path: name, isDirectory: true, size: nil) }
            let size = (try? FileManager.default.attributesOfItem(atPath: full)[.size] as? NSNumber)?.int64Value ?? 0
            return ArtifactFile(path: name, isDirectory: false, size: size)
        }
    }

    public func open(_ path: ArtifactPath) async throws -> ArtifactContent? {
        fileLocation(path).map { .file(path: $0) }
    }

    public func localFile(_ path: ArtifactPath) async throws -> String? {
        fileLocation(path)
    }

    func fileLocation(_ path: ArtifactPath) -> String? {
        let file = location(path)
        var isDirectory: ObjCBool = false
        guard !path.isRoot, FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
        return file
    }

    public func digest(_ path: ArtifactPath) async throws -> ArtifactDigest? {
        try await digests.digest(path)
    }

    public func delete(_ path: ArtifactPath) async throws {
        guard !path.isRoot else { throw SlipwayError.invalidParameter("Refusing to delete the artifact root") }
        let target = location(path)
        guard FileManager.default.fileExists(atPath: target) else {
            throw SlipwayError.notFound("No such artifact: '\(path)'")
        }
        try FileManager.default.removeItem(atPath: target)
        try await digests.forget(path)
    }
}

/// Opens a new file for writing, failing if it exists (the global `open`, which the repository's
/// own `open(_:)` hides inside it).
func createExclusively(_ path: String) -> Int32 {
    open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
}
