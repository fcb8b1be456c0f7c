/// What a user may do with one registered model or experiment, in MLflow's vocabulary. Scopes
/// say what kind of request a token may make at all; a permission narrows a user on one resource.
public enum Permission: String, CaseIterable, Sendable, Comparable {
    case noPermissions = "NO_PERMISSIONS"
    case read = "READ"
    case edit = "EDIT"
    case manage = "MANAGE"

    var rank: Int {
        switch self {
        case .noPermissions: 0
        case .read: 1
        case .edit: 2
        case .manage: 3
        }
    }

    public static func < (a: Permission, b: Permission) -> Bool { a.rank < b.rank }

    /// Whether holding `self` allows what `needed` guards.
    public func allows(_ needed: Permission) -> Bool { self >= needed }

    /// - Throws: INVALID_PARAMETER_VALUE in MLflow's words.
    public static func parse(_ text: String) throws(SlipwayError) -> Permission {
        guard let permission = Permission(rawValue: text) else {
            let valid = allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw .invalidParameter("Invalid permission '\(text)'. Valid permissions are: (\(valid))")
        }
        return permission
    }
}

/// The kinds of resource a permission is granted on, as MLflow's auth API names them.
public enum ResourceType: String, CaseIterable, Sendable {
    /// By id; its runs, their artifacts and logged models come with it.
    case experiment
    /// By name; its versions come with it.
    case registeredModel = "registered_model"

    /// `registered model 'churn'`, `experiment '3'`.
    public func describe(_ id: String) -> String {
        switch self {
        case .experiment: "experiment '\(id)'"
        case .registeredModel: "registered model '\(id)'"
        }
    }

    /// - Throws: INVALID_PARAMETER_VALUE naming the supported types.
    public static func parse(_ text: String) throws(SlipwayError) -> ResourceType {
        guard let type = ResourceType(rawValue: text) else {
            throw .invalidParameter("Unknown resource_type '\(text)': Slipway grants permissions on \(allCases.map(\.rawValue).joined(separator: " and "))")
        }
        return type
    }
}

/// One user's permission on one resource.
public struct ResourceGrant: Sendable, Hashable {
    public var type: ResourceType
    /// The registered model's name, or the experiment's id.
    public var resource: String
    public var user: String
    public var permission: Permission

    public init(type: ResourceType, resource: String, user: String, permission: Permission) {
        self.type = type
        self.resource = resource
        self.user = user
        self.permission = permission
    }
}
