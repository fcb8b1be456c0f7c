import Foundation
import Hummingbird
import SlipwayCore

/// MLflow's proxied multipart upload (`POST .../mlflow-artifacts/mpu/create|complete|abort/<folder>`,
/// the file's name being the last part of the body's `path`): on object storage the client sends each
/// part straight to storage with a signed URL. Elsewhere the routes answer MLflow's "not supported"
/// message, on which the client falls back to one PUT.
extension ArtifactsController {
    static let multipartUnsupported = "Multipart upload is not supported for the current artifact repository"

    func addMultipartRoutes<Context: SlipwayRequestContext>(to routes: RouteCollection<Context>) {
        routes.post("mpu/create/**") { request, _ -> Response in
            let (repository, fields, path) = try await multipart(request, "create")
            let parts = try fields.int64("num_parts") ?? 1
            guard (1...10_000).contains(parts) else { throw SlipwayError.invalidParameter("num_parts must be between 1 and 10000 (got \(parts))") }
            let grant = try await repository.createMultipartUpload(path, parts: Int(parts))
            return .json(.object([
                ("upload_id", .string(grant.uploadID)),
                ("credentials", .array(grant.parts.map { part in
                    .object([("url", .string(part.value)), ("part_number", .int(part.number)), ("headers", .object([]))])
                })),
            ]))
        }
        routes.post("mpu/complete/**") { request, _ -> Response in
            let (repository, fields, path) = try await multipart(request, "complete")
            guard let entries = fields.fields["parts"]?.arrayValue, !entries.isEmpty else { throw fields.missing("parts") }
            let parts = try entries.map { entry -> MultipartUploadGrant.Part in
                guard let number = entry["part_number"]?.numberValue, number >= 1, number <= 10_000, number == number.rounded(),
                      let etag = entry["etag"]?.stringValue, !etag.isEmpty
                else { throw SlipwayError.invalidParameter("Each part needs a part_number (1 to 10000) and the etag storage answered") }
                return MultipartUploadGrant.Part(number: Int(number), value: etag)
            }
            _ = try await repository.completeMultipartUpload(path, uploadID: try fields.requiredString("upload_id"), parts: parts, limit: maxArtifactBytes)
            return .emptyJSON
        }
        routes.post("mpu/abort/**") { request, _ -> Response in
            let (repository, fields, path) = try await multipart(request, "abort")
            try await repository.abortMultipartUpload(path, uploadID: try fields.requiredString("upload_id"))
            return .emptyJSON
        }
    }

    /// The repository (when it takes parts), the body's fields, and the file's path: the URL's folder
    /// and the last part of the body's `path` (the client's local file).
    func multipart(_ request: Request, _ action: String) async throws -> (any MultipartArtifactRepository, MLflowRequest, ArtifactPath) {
        guard let repository = artifacts as? any MultipartArtifactRepository else {
            throw SlipwayError(.notImplemented, Self.multipartUnsupported)
        }
        let fields = try await MLflowRequest.read(request, limit: 16 << 20)
        let local = try fields.requiredString("path")
        guard let name = local.split(separator: "/").last.map(String.init), name != "." && name != ".." else {
            throw SlipwayError.invalidParameter("Invalid value for parameter 'path': '\(local)' names no file")
        }
        let marker = "/mlflow-artifacts/mpu/\(action)"
        let full = request.uri.path
        var folder = ""
        if let range = full.range(of: marker) {
            folder = full[range.upperBound...].split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }.joined(separator: "/")
        }
        return (repository, fields, try ArtifactPath(folder.isEmpty ? name : folder + "/" + name))
    }
}
