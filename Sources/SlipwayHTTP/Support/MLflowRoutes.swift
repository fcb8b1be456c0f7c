import HTTPTypes
import Hummingbird
import SlipwayCore

/// A JSON endpoint of the MLflow API: it gets the request's fields and returns the response JSON.
typealias MLflowHandler = @Sendable (MLflowRequest) async throws -> JSONValue

/// Where controllers register MLflow endpoints: the route collection (mounted under both
/// `/api/2.0/...` and `/ajax-api/2.0/...`), the JSON body limit, the table of known routes, and on
/// a server with auth the permission gate: each registry endpoint checks the caller's permission
/// on the model it names (`ResourceRules`), searches leave out what the caller may not read, and
/// creating, renaming or deleting a model carries its grants along.
struct MLflowRoutes<Context: SlipwayRequestContext> {
    let collection: RouteCollection<Context>
    let limit: Int
    let table: RouteTable
    var gate: PermissionGate? = nil

    /// Registers a JSON endpoint: fields read from query or body, the handler's JSON sent with 200.
    func add(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping MLflowHandler) {
        table.record(method, path)
        let limit = self.limit
        guard let gate else {
            collection.on(RouterPath(path), method: method) { request, context -> Response in
                var fields = try await MLflowRequest.read(request, limit: limit)
                fields.actor = context.actor
                fields.identity = context.identity
                return .json(try await handler(fields))
            }
            return
        }
        let rule = ResourceRules.rule(method, path)
        let list = ResourceRules.searchList(method, path)
        collection.on(RouterPath(path), method: method) { request, context -> Response in
            var fields = try await MLflowRequest.read(request, limit: limit)
            fields.actor = context.actor
            fields.identity = context.identity
            let name = fields.fields["name"]?.stringValue
            if let rule, let name { try await gate.require(context.identity, rule.needed, .registeredModel, name) }
            var answer = try await handler(fields)
            if let identity = context.identity {
                if let list, !identity.isAdmin { answer = try await Self.readable(answer, list: list, identity: identity, gate: gate) }
                if let name { try await Self.carryGrants(method, path, name: name, fields: fields, identity: identity, gate: gate) }
            }
            return .json(answer)
        }
    }

    /// A search's answer without the models the caller may not read.
    static func readable(_ answer: JSONValue, list: String, identity: AuthIdentity, gate: PermissionGate) async throws -> JSONValue {
        var parsed = answer
        if case .raw(let bytes) = answer { parsed = try JSONParser.parse(bytes) }
        guard case .object(var members) = parsed, let index = members.firstIndex(where: { $0.0 == list }), let items = members[index].1.arrayValue else {
            return parsed
        }
        var kept: [JSONValue] = []
        for item in items where try await gate.canRead(identity, .registeredModel, item["name"]?.stringValue ?? "") { kept.append(item) }
        members[index].1 = .array(kept)
        return .object(members)
    }

    /// The creator of a model gets MANAGE on it; a renamed model's grants follow it; a deleted
    /// model's go, so that a model created later under that name starts without them.
    static func carryGrants(
        _ method: HTTPRequest.Method, _ path: String, name: String, fields: MLflowRequest, identity: AuthIdentity, gate: PermissionGate
    ) async throws {
        switch (method, path) {
        case (.post, "registered-models/create"):
            let grant = ResourceGrant(type: .registeredModel, resource: name, user: identity.user, permission: .manage)
            do {
                try await gate.store.grant(grant, replacing: false)
            } catch let error as SlipwayError where error.code == .resourceAlreadyExists {
                try await gate.store.grant(grant, replacing: true)
            }
            gate.forget(identity.user)
        case (.post, "registered-models/rename"):
            guard let newName = fields.fields["new_name"]?.stringValue else { return }
            try await gate.store.moveGrants(.registeredModel, from: name, to: newName)
            gate.forgetAll()
        case (.delete, "registered-models/delete"):
            try await gate.store.moveGrants(.registeredModel, from: name, to: nil)
            gate.forgetAll()
        default:
            break
        }
    }
}
