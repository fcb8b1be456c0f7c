import SlipwayCore

/// Completes the hand-written document with what every operation shares and with every route the
/// router has that it does not describe: the security schemes (Bearer tokens, Basic user:token);
/// on each operation its security (none on `/health`, `/ready`, `/openapi.json`; optional on serving routes)
/// and the error answers any route can give (400, 401, 403, 429; 404 where the path names
/// something); and a generic operation for each other route: MLflow's REST API under both
/// prefixes (its messages are MLflow's), the artifact proxy, the dashboard's pages and buttons.
enum OpenAPICompletion {
    struct Route {
        let method: String
        /// Hummingbird's spelling: `{name}` captures, `*` and `**` wildcards.
        let path: String
    }

    static func complete(_ document: JSONValue, routes: [Route]) -> JSONValue {
        var paths = members(document["paths"])
        for route in routes {
            let (template, parameters) = openAPIPath(route.path)
            let method = route.method.lowercased()
            guard ["get", "put", "post", "delete", "patch", "head"].contains(method) else { continue }
            if method == "head", paths.contains(where: { $0.0 == template && members($0.1).contains { $0.0 == "get" } }) { continue }
            var item = paths.first { $0.0 == template }.map { members($0.1) } ?? []
            if !item.contains(where: { $0.0 == method }) {
                item.append((method, generic(method: method, template: template)))
                if !parameters.isEmpty, !item.contains(where: { $0.0 == "parameters" }) {
                    item.insert(("parameters", .array(parameters.map(pathParameter))), at: 0)
                }
            }
            set(&paths, template, .object(item))
        }
        paths = paths.map { template, item in
            (template, .object(members(item).map { key, operation in
                guard ["get", "put", "post", "delete", "patch", "head"].contains(key) else { return (key, operation) }
                return (key, completed(operation, template: template, named: template.contains("{")))
            }))
        }
        var top = members(document)
        set(&top, "paths", .object(paths))
        var components = members(document["components"])
        set(&components, "securitySchemes", .object([
            ("bearer", .object([("type", .string("http")), ("scheme", .string("bearer")),
                                ("description", .string("An API token (slw_...), as MLFLOW_TRACKING_TOKEN sends it"))])),
            ("basic", .object([("type", .string("http")), ("scheme", .string("basic")),
                               ("description", .string("A user's name and one of their tokens as the password (MLFLOW_TRACKING_USERNAME/PASSWORD)"))])),
        ]))
        set(&components, "responses", .object(members(components.first { $0.0 == "responses" }?.1) + [
            ("Unauthenticated", errorResponse("No credentials, or not a live token (with auth on)")),
            ("PermissionDenied", errorResponse("The token lacks the scope the route needs")),
            ("RateLimited", errorResponse("Over a rate limit, or too many failed logins: wait Retry-After seconds")),
        ]))
        set(&top, "components", .object(components))
        set(&top, "security", .array([.object([("bearer", .array([]))]), .object([("basic", .array([]))])]))
        return .object(top)
    }

    /// An operation with its security and the errors every route can answer.
    static func completed(_ operation: JSONValue, template: String, named: Bool) -> JSONValue {
        var fields = members(operation)
        var responses = members(operation["responses"])
        let error: JSONValue = .object([("$ref", .string("#/components/responses/Error"))])
        let open = template == "/health" || template == "/ready" || template == "/openapi.json"
        let serving = template == "/predict" || template == "/invocations" || template == "/models" || template.hasPrefix("/models/{name}")
        // The dashboard's errors are a page, or MLflow's JSON where the page cannot be drawn at all.
        let page: JSONValue = .object([("description", .string("An error page, or the error as JSON")), ("content", .object([
            ("text/html", .object([("schema", .object([("type", .string("string"))]))])),
            ("application/json", .object([("schema", .object([("$ref", .string("#/components/schemas/Error"))]))])),
        ]))])
        let routeError = template == "/" || template.hasPrefix("/ui/") ? page : error
        var added: [(String, JSONValue)] = [("429", .object([("$ref", .string("#/components/responses/RateLimited"))]))]
        if !open {
            added += [
                ("400", routeError), ("401", .object([("$ref", .string("#/components/responses/Unauthenticated"))])),
                ("403", .object([("$ref", .string("#/components/responses/PermissionDenied"))])),
            ]
            // A route that names something answers 404 when it does not exist; a serving route, when no model is served.
            if named || serving { added.append(("404", routeError)) }
        }
        for (status, response) in added where !responses.contains(where: { $0.0 == status }) { responses.append((status, response)) }
        set(&fields, "responses", .object(responses))
        if open {
            set(&fields, "security", .array([]))
        } else if serving {
            // Open unless the server runs with --serving-auth.
            set(&fields, "security", .array([.object([]), .object([("bearer", .array([]))]), .object([("basic", .array([]))])]))
        }
        return .object(fields)
    }

    /// What the document says of a route it does not describe by hand.
    static func generic(method: String, template: String) -> JSONValue {
        let json: JSONValue = .object([("application/json", .object([("schema", .object([("type", .string("object"))]))]))])
        let html: JSONValue = .object([("text/html", .object([("schema", .object([("type", .string("string"))]))]))])
        let bytes: JSONValue = .object([("application/octet-stream", .object([("schema", .object([("type", .string("string")), ("format", .string("binary"))]))]))])
        let isMLflow = template.hasPrefix("/api/2.0/mlflow/") || template.hasPrefix("/ajax-api/2.0/mlflow/")
        let isArtifacts = template.contains("/2.0/mlflow-artifacts/")
        let isDashboard = template.hasPrefix("/ui") || template == "/"
        var fields: [(String, JSONValue)] = []
        var responses: [(String, JSONValue)] = []
        if isMLflow {
            fields.append(("summary", .string("MLflow's REST API: MLflow's request and response messages")))
            if method != "get" { fields.append(("requestBody", .object([("content", json)]))) }
            responses.append(("200", .object([("description", .string("MLflow's response message")), ("content", json)])))
        } else if template.contains("/2.0/mlflow-artifacts/mpu/") {
            fields.append(("summary", .string("MLflow's multipart upload: parts sent straight to object storage with signed URLs (501 when artifacts are on disk)")))
            fields.append(("requestBody", .object([("content", json)])))
            responses.append(("200", .object([("description", .string("MLflow's response message")), ("content", json)])))
            responses.append(("501", .object([("$ref", .string("#/components/responses/Error"))])))
            responses.append(("503", .object([("$ref", .string("#/components/responses/Error"))])))
        } else if isArtifacts {
            fields.append(("summary", .string("The artifact proxy (mlflow-artifacts): a file, a listing, an upload or a removal")))
            if method == "put" { fields.append(("requestBody", .object([("content", bytes)]))) }
            responses.append(("200", .object([("description", .string("The file, a listing, or {}"))])))
            responses.append(("413", .object([("$ref", .string("#/components/responses/Error"))])))
            responses.append(("503", .object([("$ref", .string("#/components/responses/Error"))])))
        } else if isDashboard {
            fields.append(("summary", .string(method == "get" ? "A dashboard page" : "A dashboard button: does the action, then shows the page")))
            responses.append(("200", .object([("description", .string("The page")), ("content", html)])))
            responses.append(("303", .object([("description", .string("Back to the page the action belongs to"))])))
        } else {
            fields.append(("summary", .string("\(method.uppercased()) \(template)")))
            responses.append(("200", .object([("description", .string("OK"))])))
        }
        fields.append(("responses", .object(responses)))
        return .object(fields)
    }

    /// `/ui/models/{name}` as it is, `**` and `*` as named path parameters (`path`, `segment`).
    static func openAPIPath(_ path: String) -> (String, [String]) {
        var parameters: [String] = []
        let segments = path.split(separator: "/").map { segment -> String in
            if segment == "**" { parameters.append("path"); return "{path}" }
            if segment == "*" { parameters.append("segment"); return "{segment}" }
            if segment.hasPrefix("{"), segment.hasSuffix("}") { parameters.append(String(segment.dropFirst().dropLast())) }
            return String(segment)
        }
        return ("/" + segments.joined(separator: "/"), parameters)
    }

    static func pathParameter(_ name: String) -> JSONValue {
        .object([("name", .string(name)), ("in", .string("path")), ("required", .bool(true)), ("schema", .object([("type", .string("string"))]))])
    }

    static func errorResponse(_ description: String) -> JSONValue {
        .object([("description", .string(description)), ("content", .object([
            ("application/json", .object([("schema", .object([("$ref", .string("#/components/schemas/Error"))]))])),
        ]))])
    }

    static func members(_ value: JSONValue?) -> [(String, JSONValue)] {
        if case .object(let members) = value { return members }
        return []
    }

    static func set(_ members: inout [(String, JSONValue)], _ key: String, _ value: JSONValue) {
        if let index = members.firstIndex(where: { $0.0 == key }) { members[index].1 = value } else { members.append((key, value)) }
    }
}
