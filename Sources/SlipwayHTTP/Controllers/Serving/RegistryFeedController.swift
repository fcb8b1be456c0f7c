import Hummingbird
import ServiceLifecycle
import SlipwayCore

/// What `slipway serve` replicas follow:
/// - `GET /api/v1/registry/changes?after=N&timeout_ms=T`: a long poll that answers `{"sequence": S}`
///   as soon as an alias, stage or version changes after sequence N, when T passes, or at once when
///   the server starts shutting down (so attached replicas never hold a stopping server open);
/// - `GET /api/v1/models/{name}/versions/{version}/files`: the version's files with their SHA-256,
///   checked here first, for the replica to download through the artifact proxy and check again.
struct RegistryFeedController: Sendable {
    let changes: RegistryChanges
    let registry: any RegistryStore
    let files: any ModelVersionFiles

    /// The longest a long poll is held open.
    static let longestWait = 60_000

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.get("api/v1/registry/changes") { request, _ -> Response in
            let query = MLflowRequest.queryFields(request.uri.query ?? "")
            let after = try Self.integer(query, "after", default: -1, range: -1...Int.max)
            let wait = try Self.integer(query, "timeout_ms", default: 25_000, range: 0...Self.longestWait)
            let sequence = await cancelWhenGracefulShutdown { [changes] in await changes.next(after: after, timeout: .milliseconds(wait)) }
            return .json(.object([("sequence", .int(sequence))]))
        }
        router.get("api/v1/models/:name/versions/:version/files") { _, context -> Response in
            let name = try context.parameters.decoded("name")
            guard let number = Int(try context.parameters.decoded("version")) else {
                throw SlipwayError.invalidParameter("Version must be an integer")
            }
            let version = try await registry.getModelVersion(name: name, version: number)
            let verified = try await files.verifiedFiles(version)
            let tree = verified.tree
            return .json(.object([
                ("name", .string(name)), ("version", .string(String(number))), ("artifact_path", .string(verified.root.description)),
                ("digest", .string("sha256:" + tree.digest)),
                ("files", .array(tree.files.map { .object([("path", .string($0.path)), ("sha256", .string($0.sha256)), ("size", .int($0.size))]) })),
            ]))
        }
    }

    static func integer(_ query: [String: JSONValue], _ key: String, default value: Int, range: ClosedRange<Int>) throws(SlipwayError) -> Int {
        guard let text = query[key]?.stringValue else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw .invalidParameter("'\(key)' must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return number
    }
}
