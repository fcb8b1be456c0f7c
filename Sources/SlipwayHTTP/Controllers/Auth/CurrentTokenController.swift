import Hummingbird
import SlipwayCore

/// `GET /api/v1/tokens/current`: who the request's token is (user, scopes, admin, expiry). Any live
/// token may ask, a predict-only one too: it is how a replica with `--serving-auth` checks the
/// tokens its callers send.
struct CurrentTokenController: Sendable {
    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.get("api/v1/tokens/current") { _, context -> Response in
            guard let identity = context.identity else {
                throw SlipwayError(.resourceDoesNotExist, "This server runs without auth: requests carry no token")
            }
            return .json(identity.json)
        }
    }
}
