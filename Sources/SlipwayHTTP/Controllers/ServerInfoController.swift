import Hummingbird
import SlipwayCore

/// `/version` and MLflow's `server-info` capability probe.
struct ServerInfoController: Sendable {
    static let mlflowVersion = "3.17.2"

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.get("version") { _, _ in Self.mlflowVersion }
        router.get("api/3.0/mlflow/server-info") { _, _ -> Response in
            .json(.object([
                ("store_type", .string("SqlStore")),
                ("workspaces_enabled", .bool(false)),
                ("trace_archival_enabled", .bool(false)),
                ("multipart_uploads_enabled", .bool(false)),
                ("multipart_downloads_enabled", .bool(false)),
                ("presigned_upload_run_id_supported", .bool(false)),
                ("presigned_upload_model_id_supported", .bool(false)),
                ("features_enabled", .object([("gateway", .bool(false))])),
            ]))
        }
    }
}
