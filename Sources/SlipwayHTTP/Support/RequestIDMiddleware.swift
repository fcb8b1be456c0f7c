import HTTPTypes
import Hummingbird

/// Gives every request an id and answers with it in `X-Request-Id`: the client's own (up to 200
/// bytes), else the server's id for the request. Routes read it from the request's header, which
/// this sets when the client sent none; added outermost, so error answers carry it too.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    static var header: HTTPField.Name { RequestID.header }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        let id: String
        if let given = request.headers[Self.header], !given.isEmpty, given.utf8.count <= 200 {
            id = given
        } else {
            id = context.id
            var head = request.head
            head.headerFields[Self.header] = id
            request = Request(head: head, body: request.body)
        }
        var response = try await next(request, context)
        response.headers[Self.header] = id
        return response
    }
}

/// The request id's header, made once (not per request, nor per generic instantiation).
enum RequestID {
    static let header = HTTPField.Name("X-Request-Id")!
}
