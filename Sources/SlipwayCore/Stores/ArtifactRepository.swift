/// An entry of an artifact directory listing.
public struct ArtifactFile: Sendable, Hashable {
    /// The path relative to the listed directory's parent root, as MLflow reports it.
    public var path: String
    public var isDirectory: Bool
    public var size: Int64?

    public init(path: String, isDirectory: Bool, size: Int64?) {
        self.path = path
        self.isDirectory = isDirectory
        self.size = size
    }
}

/// A validated artifact path: relative, `/`-separated, no `.`/`..` segments, no NUL or backslash.
///
/// Every path that reaches an ``ArtifactRepository`` goes through this type, so nothing can
/// point outside the artifact root.
public struct ArtifactPath: Sendable, Hashable, CustomStringConvertible {
    public let segments: [String]

    /// - Throws: `INVALID_PARAMETER_VALUE` for an absolute path, `..`, `.`, empty segments in the
    ///   middle, a backslash or a NUL.
    public init(_ raw: String) throws(SlipwayError) {
        if raw.contains("\0") || raw.contains("\\") {
            throw .invalidParameter("Invalid artifact path: '\(raw.replacingOccurrences(of: "\0", with: "\\0"))'")
        }
        if raw.hasPrefix("/") { throw .invalidParameter("Invalid artifact path: '\(raw)' must be relative") }
        var parts = raw.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        for part in parts where part.isEmpty || part == "." || part == ".." {
            throw .invalidParameter("Invalid artifact path: '\(raw)'")
        }
        segments = parts
    }

    public var description: String { segments.joined(separator: "/") }
    public var isRoot: Bool { segments.isEmpty }
    public var lastSegment: String { segments.last ?? "" }
}

/// A file being uploaded: bytes are appended, then the repository commits or aborts it.
public protocol ArtifactUpload: AnyObject {
    /// Appends bytes to the file and to its running SHA-256 (it may wait while earlier bytes are stored).
    func append(_ bytes: [UInt8]) async throws
}

/// A stored file's bytes, for a download.
public enum ArtifactContent: Sendable {
    /// A file on this machine's disk.
    case file(path: String)
    /// Bytes read as they arrive (from object storage), `size` of them when known.
    case stream(size: Int64?, chunks: ArtifactChunks)
}

/// The chunks of a file read from elsewhere, pulled one at a time (so a slow reader slows the source).
public struct ArtifactChunks: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let next: @Sendable () async throws -> [UInt8]?

    /// - Parameter next: the next chunk, or `nil` at the end; called by one reader at a time.
    public init(next: @escaping @Sendable () async throws -> [UInt8]?) {
        self.next = next
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let next: @Sendable () async throws -> [UInt8]?
        public mutating func next() async throws -> [UInt8]? { try await next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(next: next) }
}

/// What a committed artifact file is: its SHA-256 (hex) and size in bytes.
public struct ArtifactDigest: Sendable, Hashable {
    public var sha256: String
    public var size: Int64

    public init(sha256: String, size: Int64) {
        self.sha256 = sha256
        self.size = size
    }
}

/// Stores artifact bytes. A file is written under a temporary name and renamed into place when
/// committed, with its SHA-256 recorded, so a reader never sees half a file.
public protocol ArtifactRepository: Sendable {
    /// Starts writing a file at `path` (replacing any file there once committed).
    func beginUpload(_ path: ArtifactPath) throws -> any ArtifactUpload
    /// Moves the finished file into place and records its digest.
    func commit(_ upload: any ArtifactUpload) async throws -> ArtifactDigest
    /// Discards an unfinished upload.
    func abort(_ upload: any ArtifactUpload) async
    /// The directory's entries (names relative to it), or `nil` when the path is a file or missing.
    func list(_ path: ArtifactPath) async throws -> [ArtifactFile]?
    /// A file's bytes for a download, or `nil` when the path is not a file.
    func open(_ path: ArtifactPath) async throws -> ArtifactContent?
    /// The file on this machine's disk (copied from object storage and checked against its recorded
    /// digest when that is where it lives), or `nil` when the path is not a file.
    func localFile(_ path: ArtifactPath) async throws -> String?
    /// The recorded digest of a file, if it was uploaded through this repository.
    func digest(_ path: ArtifactPath) async throws -> ArtifactDigest?
    /// Deletes a file or a directory tree.
    func delete(_ path: ArtifactPath) async throws
    /// Re-reads every file under a directory and checks it against the digest recorded when it was
    /// uploaded: what the model host does before it loads a model.
    /// - Throws: `RESOURCE_DOES_NOT_EXIST` for a missing directory; `INVALID_STATE` when a file's bytes
    ///   differ from its record or it has none.
    func verifyTree(_ path: ArtifactPath) async throws -> VerifiedArtifactTree
}

/// A directory of artifacts whose files all match their recorded digests.
public struct VerifiedArtifactTree: Sendable, Hashable {
    /// Where the directory is on disk (a verified local copy when the files live in object storage).
    public var directory: String
    /// SHA-256 over every file's relative path and SHA-256, in path order: one digest for the whole tree
    /// (`ArtifactManifest.treeDigestInput`).
    public var digest: String
    /// Every file, by path relative to the directory, in path order.
    public var files: [ArtifactManifest.File]

    public init(directory: String, digest: String, files: [ArtifactManifest.File]) {
        self.directory = directory
        self.digest = digest
        self.files = files
    }
}

/// What a model version's files must be: how a replica checks what it downloaded from the registry.
public enum ArtifactManifest {
    public struct File: Sendable, Hashable {
        /// Relative to the tree's root.
        public var path: String
        /// Lowercase hex.
        public var sha256: String
        public var size: Int64

        public init(path: String, sha256: String, size: Int64) {
            self.path = path
            self.sha256 = sha256
            self.size = size
        }
    }

    /// Lowercase hex of a digest's bytes, as digests are recorded.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes whose SHA-256 is a tree's digest: one `path sha256` line per file, in path order.
    public static func treeDigestInput(_ files: [File]) -> [UInt8] {
        Array(files.sorted { $0.path < $1.path }.map { "\($0.path) \($0.sha256)\n" }.joined().utf8)
    }
}

/// A repository whose large files can be sent in parts straight to the storage behind it, each part
/// to a URL the server signs (MLflow's proxied multipart upload, `mpu/create|complete|abort`).
public protocol MultipartArtifactRepository: ArtifactRepository {
    /// Starts an upload of `parts` parts to `path` and signs a URL for each.
    func createMultipartUpload(_ path: ArtifactPath, parts: Int) async throws -> MultipartUploadGrant
    /// Assembles the parts into the file, reads it back to record its digest, and returns it.
    /// - Throws: `INVALID_PARAMETER_VALUE` when the file is larger than `limit` bytes (it is removed).
    func completeMultipartUpload(_ path: ArtifactPath, uploadID: String, parts: [MultipartUploadGrant.Part], limit: Int64) async throws -> ArtifactDigest
    /// Discards an unfinished upload and the parts sent so far.
    func abortMultipartUpload(_ path: ArtifactPath, uploadID: String) async throws
}

/// An upload in parts: its id and, for each part, where to send it (or, when completing, its ETag).
public struct MultipartUploadGrant: Sendable, Hashable {
    public struct Part: Sendable, Hashable {
        public var number: Int
        /// The signed URL to PUT the part's bytes to (create), or the ETag storage answered (complete).
        public var value: String

        public init(number: Int, value: String) {
            self.number = number
            self.value = value
        }
    }

    public var uploadID: String
    public var parts: [Part]

    public init(uploadID: String, parts: [Part]) {
        self.uploadID = uploadID
        self.parts = parts
    }
}
