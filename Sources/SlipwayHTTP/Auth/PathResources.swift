import Foundation
import HTTPTypes
import SlipwayCore

/// The model, experiment or runs a route outside MLflow's API is about, read from its target, and
/// the permission it needs there: READ to look, EDIT to change, MANAGE to delete an artifact.
/// - `/api/v1/models/{name}/...`, `/ui/models/{name}...`: the model;
/// - `/api/v1/experiments/{id}/table`, `/ui/experiments/{id}`: the experiment;
/// - `/api/v1/runs/{id}/page`, `/ui/runs/{id}`, and the `runs` of `/api/v1/runs/compare`, `/ui/compare`: their experiments;
/// - `/api/2.0/mlflow-artifacts/artifacts/{path}` (and `/ajax-api`), and the listing's `?path=`:
///   the experiments that own the path (`ArtifactOwners`).
enum PathResources {
    enum Resource: Equatable {
        case model(String)
        case experiment(String)
        case runs([String])
        /// A path of the artifact proxy, decoded.
        case artifacts(String)
        /// The artifact store's root (a listing of every experiment's folder): admins only when anything is restricted.
        case root
        /// Slipway's own folder of the artifact store (job outputs): admins only.
        case reserved
    }

    static func resource(_ method: HTTPRequest.Method, _ target: String) -> (Resource, Permission)? {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let segments = (parts.first ?? "").split(separator: "/").map { PathText.decoded($0) }
        let lower = segments.map { $0.lowercased() }
        let reading = method == .get || method == .head
        let needed: Permission = reading ? .read : .edit
        func starts(_ prefix: [String]) -> Bool { lower.starts(with: prefix) }
        if starts(["api", "v1", "models"]), segments.count >= 4 { return (.model(segments[3]), needed) }
        if starts(["ui", "models"]), segments.count >= 3 { return (.model(segments[2]), needed) }
        if starts(["api", "v1", "experiments"]), segments.count == 5, lower[4] == "table" { return (.experiment(PermissionGate.experimentID(segments[3])), needed) }
        if starts(["ui", "experiments"]), segments.count == 3 { return (.experiment(PermissionGate.experimentID(segments[2])), needed) }
        if starts(["api", "v1", "runs"]), segments.count == 5, lower[4] == "page" { return (.runs([segments[3]]), needed) }
        if starts(["ui", "runs"]), segments.count == 3 { return (.runs([segments[2]]), needed) }
        if starts(["api", "v1", "runs", "compare"]) || starts(["ui", "compare"]) { return (.runs(runs(parts.count > 1 ? String(parts[1]) : "")), needed) }
        if segments.count >= 4, lower[0] == "api" || lower[0] == "ajax-api", lower[1] == "2.0", lower[2] == "mlflow-artifacts", lower[3] == "artifacts" {
            // The artifact's path decoded whole (an encoded slash is a slash, as the proxy reads it), or the listing's `path`.
            let raw = (parts.first ?? "").split(separator: "/").dropFirst(4).joined(separator: "/")
            let path = segments.count > 4 ? (raw.removingPercentEncoding ?? raw) : query(parts.count > 1 ? String(parts[1]) : "", "path")
            guard let first = path.split(separator: "/").first else { return (.root, .read) }
            if first == "_slipway" { return (.reserved, needed) }
            return (.artifacts(path), method == .delete ? .manage : needed)
        }
        // MLflow's multipart upload into a folder: `mpu/create|complete|abort/<folder>` (the file's name is in the body).
        if segments.count >= 5, lower[0] == "api" || lower[0] == "ajax-api", lower[1] == "2.0", lower[2] == "mlflow-artifacts", lower[3] == "mpu" {
            let raw = (parts.first ?? "").split(separator: "/").dropFirst(5).joined(separator: "/")
            let path = raw.removingPercentEncoding ?? raw
            guard let first = path.split(separator: "/").first else { return (.root, .edit) }
            if first == "_slipway" { return (.reserved, .edit) }
            return (.artifacts(path), .edit)
        }
        return nil
    }

    /// The first value of `key` in a query, decoded; "" when absent.
    static func query(_ query: String, _ key: String) -> String {
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            if kv.count == 2, kv[0] == key { return kv[1] }
        }
        return ""
    }

    /// The run ids of `runs=a&runs=b` or `runs=a,b`.
    static func runs(_ query: String) -> [String] {
        query.split(separator: "&").flatMap { pair -> [String] in
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            guard kv.count == 2, kv[0] == "runs" else { return [] }
            return kv[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }
}
