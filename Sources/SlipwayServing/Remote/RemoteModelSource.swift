import Crypto
import SlipwayClient
import Foundation
public import Logging
public import SlipwayCore

/// The registry of another Slipway server, for `slipway serve`: aliases through MLflow's REST API,
/// changes through the registry's long poll (`/api/v1/registry/changes`), and model files through
/// the artifact proxy into a local cache, each file checked against the SHA-256 the registry
/// recorded at upload. A registry without the change feed (an MLflow server) is polled only.
public struct RemoteModelSource: ModelSource {
    let client: ServerClient
    let cacheDirectory: String
    let logger: Logger
    /// How long one long poll is held open by the registry.
    let longPoll: Duration

    /// - Parameters:
    ///   - token: an API token of the registry's (a `read` token follows it; shipping the
    ///     prediction log and events needs `write`).
    ///   - certificateAuthority: a PEM file of CA certificates trusted besides the system's, for an
    ///     `https://` registry whose certificate a private CA signed.
    /// - Throws: INVALID_PARAMETER_VALUE unless `registry` is an `http://` or `https://` URL with a
    ///   host, or when the CA file cannot be read.
    public init(
        registry: String, token: String? = nil, certificateAuthority: String? = nil, cacheDirectory: String, logger: Logger,
        longPoll: Duration = .seconds(25)
    ) throws(SlipwayError) {
        self.client = try ServerClient(url: registry, token: token, certificateAuthority: certificateAuthority, what: "--registry")
        self.cacheDirectory = cacheDirectory
        self.logger = logger
        self.longPoll = longPoll
    }

    /// Closes the connections to the registry, once nothing uses the source any more.
    public func shutdown() async {
        await client.shutdown()
    }

    public func version(for target: ServingTarget) async throws -> ModelVersion {
        let body = try await client.json("/api/2.0/mlflow/registered-models/alias", query: [("name", target.name), ("alias", target.alias)])
        guard let version = body["model_version"].flatMap(Self.modelVersion) else {
            throw SlipwayError(.invalidState, "The registry's answer for \(target) has no readable model_version")
        }
        return version
    }

    /// A version by number.
    public func version(name: String, number: Int) async throws -> ModelVersion {
        let body = try await client.json("/api/2.0/mlflow/model-versions/get", query: [("name", name), ("version", String(number))])
        guard let version = body["model_version"].flatMap(Self.modelVersion) else {
            throw SlipwayError(.invalidState, "The registry's answer for \(name)/\(number) has no readable model_version")
        }
        return version
    }

    public func fetch(_ version: ModelVersion) async throws -> FetchedModel {
        let path = "/api/v1/models/\(ServerClient.segment(version.name))/versions/\(version.version)/files"
        let manifest = try Manifest(try await client.json(path))
        let directory = "\(cacheDirectory)/\(ServerClient.segment(version.name))/v\(version.version)-\(manifest.digest.prefix(16))"
        if (try? Self.verify(directory: directory, manifest)) != nil {
            return FetchedModel(version: version, directory: directory, digest: "sha256:" + manifest.digest)
        }
        let staging = directory + ".partial-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: staging) }
        for file in manifest.files {
            let relative = try ArtifactPath(file.path)
            let encoded = (manifest.root.segments + relative.segments).map(ServerClient.segment).joined(separator: "/")
            let data = try await client.get("/api/2.0/mlflow-artifacts/artifacts/" + encoded)
            let actual = ArtifactManifest.hex(SHA256.hash(data: data))
            guard actual == file.sha256 else {
                throw SlipwayError(.invalidState, "Downloaded '\(file.path)' does not match its recorded digest (sha256 \(actual.prefix(12))..., recorded \(file.sha256.prefix(12))...)")
            }
            let target = staging + "/" + relative.description
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: target, contents: data) else {
                throw SlipwayError(.internalError, "Cannot write '\(target)'")
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.moveItem(atPath: staging, toPath: directory)
        logger.info("serving.downloaded", metadata: ["model": "\(version.name)", "version": "\(version.version)", "files": "\(manifest.files.count)"])
        return FetchedModel(version: version, directory: directory, digest: "sha256:" + manifest.digest)
    }

    public func changes() -> AsyncStream<String>? {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        let task = Task { [client, logger, longPoll] in
            var seen = -1  // the first poll answers at once with the registry's current number
            while !Task.isCancelled {
                do {
                    let wait = Int(longPoll.components.seconds) * 1000
                    let body = try await client.json(
                        "/api/v1/registry/changes", query: [("after", String(seen)), ("timeout_ms", String(wait))], timeout: Double(wait) / 1000 + 15)
                    guard case .number(let number)? = body["sequence"], let sequence = Int(exactly: number) else {
                        throw SlipwayError(.invalidState, "The registry's change feed answered without a sequence number")
                    }
                    if seen >= 0 && sequence != seen { continuation.yield("") }
                    seen = sequence
                } catch let error as SlipwayError where error.code == .endpointNotFound {
                    logger.notice("serving.no_change_feed", metadata: ["detail": "\(error.message)", "fallback": "polling"])
                    break
                } catch {
                    try? await Task.sleep(for: .seconds(1))  // registry down or restarting: polling covers it meanwhile
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    public func runMetrics(_ runID: String) async throws -> [(key: String, value: Double)] {
        let body = try await client.json("/api/2.0/mlflow/runs/get", query: [("run_id", runID)])
        return (body["run"]?["data"]?["metrics"]?.arrayValue ?? []).compactMap { metric in
            guard let key = metric["key"]?.stringValue, case .number(let value)? = metric["value"] else { return nil }
            return (key, value)
        }
    }

    /// Throws unless every file of the manifest is in `directory` with its digest.
    static func verify(directory: String, _ manifest: Manifest) throws {
        for file in manifest.files {
            guard let data = FileManager.default.contents(atPath: directory + "/" + file.path),
                ArtifactManifest.hex(SHA256.hash(data: data)) == file.sha256
            else { throw SlipwayError(.invalidState, "Cached '\(file.path)' is missing or changed") }
        }
    }

    /// MLflow's `model_version` JSON, as far as serving needs it.
    static func modelVersion(_ json: JSONValue) -> ModelVersion? {
        guard let name = json["name"]?.stringValue, let number = json["version"]?.stringValue.flatMap({ Int($0) }) else { return nil }
        func int64(_ key: String) -> Int64 {
            if case .number(let value)? = json[key] { return Int64(exactly: value.rounded()) ?? 0 }
            return json[key]?.stringValue.flatMap { Int64($0) } ?? 0
        }
        return ModelVersion(
            name: name, version: number, creationTimestamp: int64("creation_timestamp"), lastUpdatedTimestamp: int64("last_updated_timestamp"),
            currentStage: json["current_stage"]?.stringValue.flatMap(ModelStage.init(caseInsensitive:)) ?? .none,
            description: json["description"]?.stringValue ?? "", userID: json["user_id"]?.stringValue ?? "",
            source: json["source"]?.stringValue ?? "", runID: json["run_id"]?.stringValue ?? "", runLink: json["run_link"]?.stringValue ?? "",
            status: json["status"]?.stringValue ?? "READY", modelID: json["model_id"]?.stringValue,
            aliases: json["aliases"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    /// The registry's answer to `/api/v1/models/{name}/versions/{version}/files`, checked for shape.
    struct Manifest {
        var root: ArtifactPath
        var digest: String
        var files: [ArtifactManifest.File]

        init(_ json: JSONValue) throws {
            guard let root = json["artifact_path"]?.stringValue, let digest = json["digest"]?.stringValue, digest.hasPrefix("sha256:"),
                let files = json["files"]?.arrayValue, !files.isEmpty
            else { throw SlipwayError(.invalidState, "The registry's file list is malformed") }
            self.root = try ArtifactPath(root)
            self.digest = String(digest.dropFirst("sha256:".count))
            self.files = try files.map { file in
                guard let path = file["path"]?.stringValue, let sha = file["sha256"]?.stringValue, case .number(let number)? = file["size"],
                    let size = Int64(exactly: number), size >= 0
                else {
                    throw SlipwayError(.invalidState, "The registry's file list has a malformed entry")
                }
                _ = try ArtifactPath(path)  // no `..` or absolute paths out of the cache
                return ArtifactManifest.File(path: path, sha256: sha, size: size)
            }
            let computed = ArtifactManifest.hex(SHA256.hash(data: ArtifactManifest.treeDigestInput(self.files)))
            guard computed == self.digest else {
                throw SlipwayError(.invalidState, "The registry's file list does not add up to its digest")
            }
        }
    }
}
