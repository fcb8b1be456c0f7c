import HTTPTypes
import Hummingbird
import Logging
import SlipwayCore

/// Turns every error into MLflow's error JSON: a ``SlipwayError`` keeps its code and status,
/// Hummingbird's routing errors become ENDPOINT_NOT_FOUND / 405 / 413, and anything else (and a
/// SlipwayError of code INTERNAL_ERROR) is an INTERNAL_ERROR 500 (never a client's mistake: those
/// are SlipwayErrors with their own codes). A 500 says nothing of
/// the internals: the error is logged with the request's id, and the answer carries that id (in
/// the message and `X-Request-Id`) for an operator to find it.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as SlipwayError where error.code != .internalError {
            return .mlflowError(error)
        } catch let error as HTTPError {
            switch error.status {
            case .notFound:
                let allowed = routes.allowedMethods(forRequestPath: request.uri.path)
                if !allowed.isEmpty, !allowed.contains(request.method) {
                    var response = Response.mlflowError(
                        SlipwayError(.badRequest, "Method \(request.method) is not allowed for \(request.uri.path)"), status: .methodNotAllowed)
                    response.headers[.allow] = allowed.map(\.rawValue).sorted().joined(separator: ", ")
                    return response
                }
                return .mlflowError(SlipwayError(.endpointNotFound, "No endpoint \(request.method) \(request.uri.path)"), status: .notFound)
            case .methodNotAllowed:
                return .mlflowError(SlipwayError(.badRequest, "Method \(request.method) is not allowed for \(request.uri.path)"), status: .methodNotAllowed)
            case .contentTooLarge:
                return .mlflowError(SlipwayError(.requestLimitExceeded, error.body ?? "Request body is too large"), status: .contentTooLarge)
            default:
                let code: ErrorCode = error.status.code < 500 ? .badRequest : .internalError
                return .mlflowError(SlipwayError(code, error.body ?? error.status.reasonPhrase), status: error.status)
            }
        } catch {
            return Self.opaque(error, request, context)
        }
    }

    /// An internal error: logged with the request's id; the client gets that id and nothing else.
    static func opaque(_ error: any Error, _ request: Request, _ context: Context) -> Response {
        let id = RequestID.of(request, serverID: context.id)
        context.logger.error("http.internal_error", metadata: [
            "error": "\(String(reflecting: error))", "http.path": "\(request.uri.path)", "http.method": "\(request.method)", "request.id": "\(id)",
        ])
        var response = Response.mlflowError(
            SlipwayError(.internalError, "Internal error while handling this request; the server log has the details under request id \(id)"))
        response.headers[RequestID.header] = id
        return response
    }
}
