import Foundation
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
        let search = ResourceRules.searchList(method, path)
        collection.on(RouterPath(path), method: method) { request, context -> Response in
            var fields = try await MLflowRequest.read(request, limit: limit)
            fields.actor = context.actor
            fields.identity = context.identity
            if let rule { try await Self.check(rule, fields, identity: context.identity, gate: gate) }
            try await Self.checkReferences(method, path, fields, identity: context.identity, gate: gate)
            var answer = try await handler(fields)
            if let identity = context.identity {
                if let search, try await gate.constrains(identity, search.type) {
                    answer = try await Self.readable(answer, search, identity: identity, gate: gate)
                }
                try await Self.carryGrants(method, path, fields: fields, answer: answer, identity: identity, gate: gate)
            }
            return .json(answer)
        }
    }

    /// For a route registered on the collection directly, about the logged model `id`: - Throws:
    /// PERMISSION_DENIED unless the caller holds `needed` on the model's experiment.
    static func requireOnLoggedModel(
        _ gate: PermissionGate?, _ identity: AuthIdentity?, _ needed: Permission, id: String, store: any TrackingStore
    ) async throws {
        guard let gate, try await gate.constrains(identity, .experiment) else { return }
        try await gate.require(identity, needed, .experiment, try await store.getLoggedModel(id: id).experimentID)
    }

    /// - Throws: PERMISSION_DENIED unless the caller holds what `rule` needs on what the request
    /// names. Fields are read with the accessors the handlers use (a one-item list is its item;
    /// a missing experiment is the default one), so what is checked is what is used.
    static func check(_ rule: (target: ResourceRules.Target, needed: Permission), _ fields: MLflowRequest, identity: AuthIdentity?, gate: PermissionGate) async throws {
        let type: ResourceType
        if case .model = rule.target { type = .registeredModel } else { type = .experiment }
        guard try await gate.constrains(identity, type) else { return }
        switch rule.target {
        case .model(let field):
            if let name = try fields.string(field) { try await gate.require(identity, rule.needed, .registeredModel, name) }
        case .experiment(let field):
            let id = try fields.string(field).flatMap { $0.isEmpty ? nil : $0 } ?? Experiment.defaultID
            try await gate.require(identity, rule.needed, .experiment, PermissionGate.experimentID(id))
        case .experimentNamed(let field):
            if let name = try fields.string(field), let id = try await gate.experimentNamed(name) { try await gate.require(identity, rule.needed, .experiment, id) }
        case .run:
            try await gate.require(identity, rule.needed, .experiment, try await gate.experimentOfRun(try fields.runID()))
        case .experiments(let field):
            for id in try fields.strings(field) { try await gate.require(identity, rule.needed, .experiment, PermissionGate.experimentID(id)) }
        }
    }

    /// A search's answer without the items the caller may not read.
    static func readable(
        _ answer: JSONValue, _ search: (list: String, type: ResourceType, field: String), identity: AuthIdentity, gate: PermissionGate
    ) async throws -> JSONValue {
        var parsed = answer
        if case .raw(let bytes) = answer { parsed = try JSONParser.parse(bytes) }
        guard case .object(var members) = parsed, let index = members.firstIndex(where: { $0.0 == search.list }),
            let items = members[index].1.arrayValue
        else { return parsed }
        var kept: [JSONValue] = []
        for item in items where try await gate.canRead(identity, search.type, item[search.field]?.stringValue ?? "") { kept.append(item) }
        members[index].1 = .array(kept)
        return .object(members)
    }

    /// The creator of a model or an experiment gets MANAGE on it; a renamed model's grants follow
    /// it; a deleted model's go, so that a model created later under that name starts without them.
    static func carryGrants(
        _ method: HTTPRequest.Method, _ path: String, fields: MLflowRequest, answer: JSONValue, identity: AuthIdentity, gate: PermissionGate
    ) async throws {
        let name = try fields.string("name")
        switch (method, path) {
        case (.post, "registered-models/create"):
            if let name { try await own(.registeredModel, name, identity, gate) }
        case (.post, "experiments/create"):
            if let id = answer["experiment_id"]?.stringValue { try await own(.experiment, id, identity, gate) }
        case (.post, "registered-models/rename"):
            guard let name, let newName = try fields.string("new_name") else { return }
            try await gate.store.moveGrants(.registeredModel, from: name, to: newName)
            gate.forgetAll()
        case (.delete, "registered-models/delete"):
            guard let name else { return }
            try await gate.store.moveGrants(.registeredModel, from: name, to: nil)
            gate.forgetAll()
        default:
            break
        }
    }

    static func own(_ type: ResourceType, _ resource: String, _ identity: AuthIdentity, _ gate: PermissionGate) async throws {
        let grant = ResourceGrant(type: type, resource: resource, user: identity.user, permission: .manage)
        do {
            try await gate.store.grant(grant, replacing: false)
        } catch let error as SlipwayError where error.code == .resourceAlreadyExists {
            try await gate.store.grant(grant, replacing: true)
        }
        gate.forget(identity.user)
    }
}
