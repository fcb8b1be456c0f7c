import Foundation
import Hummingbird
import NIOCore
import SlipwayCore

/// The proxied artifact routes (`/api/2.0/mlflow-artifacts/artifacts/...`): upload, download,
/// list, delete; plus the tracking-side `artifacts/list` for a run.
struct ArtifactsController: Sendable {
    let store: any TrackingStore
    let artifacts: any ArtifactRepository
    let maxArtifactBytes: Int64

    /// Routes under `.../mlflow-artifacts`.
    func addProxyRoutes<Context: SlipwayRequestContext>(to routes: RouteCollection<Context>) {
        routes.get("artifacts") { request, _ -> Response in
            let query = MLflowRequest.queryFields(request.uri.query ?? "")
            let path = try ArtifactPath(query["path"]?.stringValue ?? "")
            let files = try await artifacts.list(path) ?? []
            return .json(Wire.page("files", files.map(Self.fileJSON), next: nil))
        }
        routes.get("artifacts/**") { request, context -> Response in
            let path = try Self.path(of: request)
            guard let content = try await artifacts.open(path) else {
                throw SlipwayError.notFound("No such artifact: '\(path)'")
            }
            let body = try await ArtifactResponse.body(content, context: context)
            return Response(
                status: .ok,
                headers: [
                    .contentType: Self.contentType(for: path.lastSegment),
                    .contentDisposition: "attachment; filename=\(path.lastSegment)",
                ],
                body: body)
        }
        routes.put("artifacts/**") { request, _ -> Response in
            let path = try Self.path(of: request)
            let upload = try artifacts.beginUpload(path)
            do {
                var total: Int64 = 0
                for try await buffer in request.body {
                    total += Int64(buffer.readableBytes)
                    if total > maxArtifactBytes {
                        throw HTTPError(.contentTooLarge, message: "Artifact '\(path)' exceeds the limit of \(maxArtifactBytes) bytes")
                    }
                    try await upload.append(Array(buffer.readableBytesView))
                }
                _ = try await artifacts.commit(upload)
            } catch {
                await artifacts.abort(upload)
                throw error
            }
            return Response(status: .ok)
        }
        routes.delete("artifacts/**") { request, _ -> Response in
            try await artifacts.delete(try Self.path(of: request))
            return .emptyJSON
        }
        addMultipartRoutes(to: routes)
    }

    /// `GET /api/2.0/mlflow/artifacts/list?run_id=&path=`: a run's artifacts, paths relative to its root.
    func addTrackingRoutes<Context>(to routes: MLflowRoutes<Context>) {
        routes.add(.get, "artifacts/list") { r in
            let run = try await store.getRun(id: try r.runID())
            let relative = try r.string("path") ?? ""
            guard let root = Self.proxiedPath(run.info.artifactURI) else {
                return .object([("root_uri", .string(run.info.artifactURI))])
            }
            let base = try ArtifactPath(relative)
            let files = try await artifacts.list(try ArtifactPath(([root] + base.segments).filter { !$0.isEmpty }.joined(separator: "/"))) ?? []
            var o = JSONObjectBuilder()
            o.add("root_uri", run.info.artifactURI)
            o.add("files", nonEmpty: files.map { file in
                var entry = file
                entry.path = (base.segments + [file.path]).joined(separator: "/")
                return Self.fileJSON(entry)
            })
            return o.value
        }
    }

    /// The store path of an `mlflow-artifacts:/...` URI, or `nil` for another scheme.
    static func proxiedPath(_ uri: String) -> String? {
        guard uri.hasPrefix("mlflow-artifacts:") else { return nil }
        var rest = uri.dropFirst("mlflow-artifacts:".count)
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            rest = rest.drop(while: { $0 != "/" })
        }
        return String(rest.drop(while: { $0 == "/" }))
    }

    /// The artifact path after `/artifacts/` in the request URI, percent-decoded and validated.
    static func path(of request: Request) throws -> ArtifactPath {
        let full = request.uri.path
        guard let range = full.range(of: "/mlflow-artifacts/artifacts/") else { return try ArtifactPath("") }
        let encoded = full[range.upperBound...]
        let decoded = encoded.split(separator: "/", omittingEmptySubsequences: false)
            .map { String($0).removingPercentEncoding ?? String($0) }
            .joined(separator: "/")
        return try ArtifactPath(decoded)
    }

    static func fileJSON(_ file: ArtifactFile) -> JSONValue {
        var o = JSONObjectBuilder()
        o.add("path", file.path)
        o.add("is_dir", .bool(file.isDirectory))
        o.add("file_size", ifPresent: file.size)
        return o.value
    }

    static var textExtensions: Set<String> { ArtifactMediaTypes.textExtensions }
}

enum ArtifactMediaTypes {
    /// Extensions MLflow serves as text/plain.
    static let textExtensions: Set<String> = ["txt", "log", "err", "cfg", "conf", "cnf", "cf", "ini", "properties", "prop", "hocon",
                                              "toml", "yaml", "yml", "xml", "json", "js", "py", "py3", "csv", "tsv", "md", "rst", "mlmodel"]
}

extension ArtifactsController {
    static func contentType(for name: String) -> String {
        let ext = name.split(separator: ".").count > 1 ? String(name.split(separator: ".").last!).lowercased() : name.lowercased()
        return textExtensions.contains(ext) ? "text/plain; charset=utf-8" : "application/octet-stream"
    }
}
