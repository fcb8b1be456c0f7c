import HTTPTypes
import SlipwayCore

/// Which permission each MLflow registry endpoint needs on the registered model its `name` field
/// names, as MLflow's auth app decides it: reading needs READ; changing the model, its versions,
/// tags, aliases or stages needs EDIT; deleting needs MANAGE. Searches need nothing up front: their
/// results leave out what the caller may not read. Creating a model needs nothing, and gives the
/// creator MANAGE.
enum ResourceRules {
    /// The rule of an MLflow endpoint (`path` after `/api/2.0/mlflow/`), nil when it has none.
    static func rule(_ method: HTTPRequest.Method, _ path: String) -> (field: String, needed: Permission)? {
        switch (method, path) {
        case (.get, "registered-models/get"), (.get, "registered-models/get-latest-versions"), (.post, "registered-models/get-latest-versions"),
             (.get, "model-versions/get"), (.get, "model-versions/get-download-uri"), (.get, "registered-models/alias"):
            return ("name", .read)
        case (.patch, "registered-models/update"), (.post, "registered-models/rename"), (.post, "registered-models/set-tag"),
             (.delete, "registered-models/delete-tag"), (.post, "model-versions/create"), (.patch, "model-versions/update"),
             (.post, "model-versions/transition-stage"), (.post, "model-versions/set-tag"), (.post, "registered-models/alias"):
            return ("name", .edit)
        case (.delete, "registered-models/delete"), (.delete, "model-versions/delete"), (.delete, "model-versions/delete-tag"),
             (.delete, "registered-models/alias"):
            return ("name", .manage)
        default:
            return nil
        }
    }

    /// The list a search endpoint answers with, whose items carry the model's `name`.
    static func searchList(_ method: HTTPRequest.Method, _ path: String) -> String? {
        switch path {
        case "registered-models/search": "registered_models"
        case "model-versions/search": "model_versions"
        default: nil
        }
    }
}
