import Hummingbird
import SlipwayCore

/// `/version` and MLflow's `server-info` capability probe.
struct ServerInfoController: Sendable {
    static let mlflowVersion = "3.17.2"
    /// Where artifacts are: object storage takes MLflow's multipart uploads (parts straight to the bucket).
    let artifacts: any ArtifactRepository

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.get("version") { _, _ in Self.mlflowVersion }
        let multipart = artifacts is any MultipartArtifactRepository
        router.get("api/3.0/mlflow/server-info") { _, _ -> Response in
            .json(.object([
                ("store_type", .string("SqlStore")),
                ("workspaces_enabled", .bool(false)),
                ("trace_archival_enabled", .bool(false)),
                ("multipart_uploads_enabled", .bool(multipart)),
                ("multipart_downloads_enabled", .bool(false)),
                ("presigned_upload_run_id_supported", .bool(false)),
                ("presigned_upload_model_id_supported", .bool(false)),
                ("features_enabled", .object([("gateway", .bool(false))])),
                ("artifact_storage", .string(multipart ? "s3" : "local")),
            ]))
        }
    }
}
