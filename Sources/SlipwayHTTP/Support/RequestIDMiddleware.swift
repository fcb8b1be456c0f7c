import HTTPTypes
import Hummingbird

/// Gives every request an id and answers with it in `X-Request-Id`: the client's own (up to 200
/// bytes), else the server's id for the request (`context.id`). Routes that record the id ask
/// ``RequestID/of(_:serverID:)``; added outermost, so error answers carry it too.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = RequestID.of(request, serverID: context.id)
        var response = try await next(request, context)
        response.headers[RequestID.header] = id
        return response
    }
}

/// The request id's header (made once), and a request's id.
enum RequestID {
    static let header = HTTPField.Name("X-Request-Id")!

    /// The client's `X-Request-Id` when usable (non-empty, up to 200 bytes), else `serverID`.
    static func of(_ request: Request, serverID: String) -> String {
        if let given = request.headers[header], !given.isEmpty, given.utf8.count <= 200 { return given }
        return serverID
    }
}
