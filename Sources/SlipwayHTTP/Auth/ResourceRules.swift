import HTTPTypes
import SlipwayCore

/// Which permission each MLflow endpoint needs, and on what, as MLflow's auth app decides it:
/// reading needs READ; changing needs EDIT; deleting needs MANAGE. A registry endpoint is about
/// the registered model its `name` field names; a tracking endpoint about an experiment, named by
/// its id, its name, or a run of it. Searches of models and experiments need nothing up front:
/// their results leave out what the caller may not read; a search of runs or logged models needs
/// READ on every experiment it names. Creating a model or an experiment needs nothing (EDIT on the
/// experiment for a run), and gives the creator MANAGE.
enum ResourceRules {
    /// Where the resource's id is in the request.
    enum Target {
        /// A registered model's name, in this field.
        case model(String)
        /// An experiment's id, in this field.
        case experiment(String)
        /// An experiment's name, in this field.
        case experimentNamed(String)
        /// A run's id, in `run_id` (or MLflow's older `run_uuid`): its experiment.
        case run
        /// Every experiment id in this list field.
        case experiments(String)
    }

    /// The rule of an MLflow endpoint (`path` after `/api/2.0/mlflow/`), nil when it has none.
    static func rule(_ method: HTTPRequest.Method, _ path: String) -> (target: Target, needed: Permission)? {
        switch (method, path) {
        case (.get, "registered-models/get"), (.get, "registered-models/get-latest-versions"), (.post, "registered-models/get-latest-versions"),
             (.get, "model-versions/get"), (.get, "model-versions/get-download-uri"), (.get, "registered-models/alias"):
            return (.model("name"), .read)
        case (.patch, "registered-models/update"), (.post, "registered-models/rename"), (.post, "registered-models/set-tag"),
             (.delete, "registered-models/delete-tag"), (.post, "model-versions/create"), (.patch, "model-versions/update"),
             (.post, "model-versions/transition-stage"), (.post, "model-versions/set-tag"), (.post, "registered-models/alias"):
            return (.model("name"), .edit)
        case (.delete, "registered-models/delete"), (.delete, "model-versions/delete"), (.delete, "model-versions/delete-tag"),
             (.delete, "registered-models/alias"):
            return (.model("name"), .manage)
        case (.get, "experiments/get"):
            return (.experiment("experiment_id"), .read)
        case (.get, "experiments/get-by-name"):
            return (.experimentNamed("experiment_name"), .read)
        case (.post, "experiments/update"), (.post, "experiments/set-experiment-tag"), (.post, "experiments/delete-experiment-tag"),
             (.post, "runs/create"), (.post, "logged-models"):
            return (.experiment("experiment_id"), .edit)
        case (.post, "experiments/delete"), (.post, "experiments/restore"):
            return (.experiment("experiment_id"), .manage)
        case (.get, "runs/get"), (.get, "metrics/get-history"), (.get, "artifacts/list"):
            return (.run, .read)
        case (.post, "runs/update"), (.post, "runs/log-metric"), (.post, "runs/log-batch"), (.post, "runs/log-parameter"), (.post, "runs/set-tag"),
             (.post, "runs/delete-tag"), (.post, "runs/log-inputs"), (.post, "runs/log-model"), (.post, "runs/outputs"):
            return (.run, .edit)
        case (.post, "runs/delete"), (.post, "runs/restore"):
            return (.run, .manage)
        case (.post, "runs/search"), (.post, "logged-models/search"):
            return (.experiments("experiment_ids"), .read)
        default:
            return nil
        }
    }

    /// The list a search endpoint answers with, the kind of its items and the field naming each.
    static func searchList(_ method: HTTPRequest.Method, _ path: String) -> (list: String, type: ResourceType, field: String)? {
        switch path {
        case "registered-models/search": ("registered_models", .registeredModel, "name")
        case "model-versions/search": ("model_versions", .registeredModel, "name")
        case "experiments/search": ("experiments", .experiment, "experiment_id")
        default: nil
        }
    }
}
