import HTTPTypes
import Hummingbird
import SlipwayCore

/// MLflow's auth API for per-model and per-experiment permissions, both generations the MLflow client has used:
/// - classic (MLflow 3.0-3.12): `registered-models/permissions/{create,get,update,delete}` (field
///   `name`) and `experiments/permissions/...` (field `experiment_id`) under `/api/2.0/mlflow` (and
///   `/ajax-api`), with `username` and `permission`;
/// - RBAC (MLflow 3.13+): `/api/3.0/mlflow/users/permissions/{grant,revoke,get,list}` and
///   `users/current/permissions`, fields `username`, `resource_type`, `resource_id`, `permission`.
/// Changing or reading another user's grant on a resource needs MANAGE on it (an admin has it
/// everywhere); listing a user's grants is for that user or an admin.
struct PermissionsController<Context: SlipwayRequestContext>: Sendable {
    let store: any AuthStore
    let gate: PermissionGate?
    /// Whether the resource exists: grants are made on existing resources only, so none waits for
    /// a model or experiment not created yet (or a name a rename will take).
    let exists: @Sendable (ResourceType, String) async throws -> Bool

    func addClassicRoutes(to mlflow: MLflowRoutes<Context>) {
        for (type, prefix, field, key) in [
            (ResourceType.registeredModel, "registered-models", "name", "registered_model_permission"),
            (ResourceType.experiment, "experiments", "experiment_id", "experiment_permission"),
        ] {
            @Sendable func grant(_ request: MLflowRequest) throws -> ResourceGrant {
                try ResourceGrant(
                    type: type, resource: request.requiredString(field), user: request.requiredString("username"),
                    permission: Permission.parse(request.requiredString("permission")))
            }
            mlflow.add(.post, "\(prefix)/permissions/create") { request in
                let grant = try await authorized(request, try grant(request))
                try await store.grant(grant, replacing: false)
                gate?.forget(grant.user)
                return .object([(key, Self.classic(grant, field: field))])
            }
            mlflow.add(.get, "\(prefix)/permissions/get") { request in
                let (resource, user) = (Self.canonical(type, try request.requiredString(field)), try request.requiredString("username"))
                try await manage(request, type, resource)
                guard let grant = try await store.grant(type, resource, user: user) else {
                    throw SlipwayError.notFound("User '\(user)' has no permission on \(type.describe(resource))")
                }
                return .object([(key, Self.classic(grant, field: field))])
            }
            mlflow.add(.patch, "\(prefix)/permissions/update") { request in
                let grant = try await authorized(request, try grant(request))
                try await store.grant(grant, replacing: true)
                gate?.forget(grant.user)
                return .object([])
            }
            mlflow.add(.delete, "\(prefix)/permissions/delete") { request in
                let (resource, user) = (Self.canonical(type, try request.requiredString(field)), try request.requiredString("username"))
                try await manage(request, type, resource)
                try await store.revoke(type, resource, user: user)
                gate?.forget(user)
                return .object([])
            }
        }
    }

    /// The 3.0 routes, on a collection mounted at `api/3.0/mlflow` and `ajax-api/3.0/mlflow`.
    func addRBACRoutes(to mlflow: MLflowRoutes<Context>) {
        mlflow.add(.post, "users/permissions/grant") { request in
            let grant = try await authorized(request, try ResourceGrant(
                type: ResourceType.parse(request.requiredString("resource_type")), resource: request.requiredString("resource_id"),
                user: request.requiredString("username"), permission: Permission.parse(request.requiredString("permission"))))
            try await store.grant(grant, replacing: false)
            gate?.forget(grant.user)
            return .object([])
        }
        mlflow.add(.post, "users/permissions/revoke") { request in
            let type = try ResourceType.parse(try request.requiredString("resource_type"))
            let (resource, user) = (Self.canonical(type, try request.requiredString("resource_id")), try request.requiredString("username"))
            try await manage(request, type, resource)
            try await store.revoke(type, resource, user: user)
            gate?.forget(user)
            return .object([])
        }
        mlflow.add(.get, "users/permissions/get") { request in
            let type = try ResourceType.parse(try request.requiredString("resource_type"))
            let (resource, user) = (Self.canonical(type, try request.requiredString("resource_id")), try request.requiredString("username"))
            if request.identity?.user != user { try await manage(request, type, resource) }
            let permission = try await store.grant(type, resource, user: user)?.permission ?? gate?.defaultPermission ?? .manage
            return .object([("allowed", .bool(permission.allows(.read))), ("permission", .string(permission.rawValue))])
        }
        mlflow.add(.get, "users/permissions/list") { request in
            let user = try request.requiredString("username")
            if let identity = request.identity, identity.user != user, !identity.isAdmin {
                throw SlipwayError(.permissionDenied, "Only an admin may list another user's permissions")
            }
            let isAdmin = try await store.listUsers().first { $0.name == user }?.isAdmin ?? false
            return try await Self.listing(try await store.grants(user: user), isAdmin: isAdmin)
        }
        mlflow.add(.get, "users/current/permissions") { request in
            guard let identity = request.identity else { return try await Self.listing([], isAdmin: true) }
            return try await Self.listing(try await store.grants(user: identity.user), isAdmin: identity.isAdmin)
        }
    }

    /// The grant (an experiment's id in the store's spelling), once its resource exists and the sender may manage it.
    func authorized(_ request: MLflowRequest, _ grant: ResourceGrant) async throws -> ResourceGrant {
        var grant = grant
        if grant.type == .experiment { grant.resource = PermissionGate.experimentID(grant.resource) }
        try await manage(request, grant.type, grant.resource)
        guard try await exists(grant.type, grant.resource) else {
            throw SlipwayError.notFound("No \(grant.type.describe(grant.resource)): permissions are granted on existing resources")
        }
        return grant
    }

    /// - Throws: PERMISSION_DENIED unless the sender holds MANAGE on the resource.
    func manage(_ request: MLflowRequest, _ type: ResourceType, _ resource: String) async throws {
        try await gate?.require(request.identity, .manage, type, resource)
    }

    /// MLflow's classic permission JSON: the resource's field (`name`, `experiment_id`), the user, the permission.
    static func canonical(_ type: ResourceType, _ resource: String) -> String {
        type == .experiment ? PermissionGate.experimentID(resource) : resource
    }

    static func classic(_ grant: ResourceGrant, field: String) -> JSONValue {
        .object([
            (field, .string(grant.resource)), ("user_id", .string(grant.user)), ("username", .string(grant.user)),
            ("permission", .string(grant.permission.rawValue)),
        ])
    }

    static func listing(_ grants: [ResourceGrant], isAdmin: Bool) async throws -> JSONValue {
        .object([
            ("is_admin", .bool(isAdmin)),
            ("permissions", .array(grants.map { grant in
                .object([
                    ("role_name", .string("__user_\(grant.user)__")), ("resource_type", .string(grant.type.rawValue)),
                    ("resource_pattern", .string(grant.resource)), ("permission", .string(grant.permission.rawValue)),
                ])
            })),
        ])
    }
}
