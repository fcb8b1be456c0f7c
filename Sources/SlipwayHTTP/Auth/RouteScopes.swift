import Foundation
public import HTTPTypes
public import SlipwayCore

/// What a request needs, by its method and path, decided before routing. Only exact paths are
/// open; any other path needs a token, one that routes nowhere included. A path is classified as
/// sent and in a canonical form (escapes decoded, `.`/`..`/empty segments resolved, lowercased),
/// and needs what both say, so no spelling (`//api`, `%2e%2e`, `%2F`, another case) reaches a
/// handler with less than its route asks.
///
/// - open: `GET /health`, `GET /ready` and `GET /openapi.json` (the API's description, no data);
/// - serving (`/predict`, `/invocations`, `/models`, `/models/{name}[/predict|/invocations]`): open,
///   or the `predict` scope with `--serving-auth`;
/// - `admin`: webhooks (MLflow's and `/api/v1`'s) and deliveries that change, jobs and pipelines that change or run (the dashboard's button too),
///   users and tokens;
/// - `promote`: policies, promote, approve, rollback (the API's and the dashboard's buttons), and
///   alias and stage moves of production on a model with a policy (checked by the route);
/// - any live token: `GET /api/v1/tokens/current` (who the token is);
/// - `read`: every other GET or HEAD, and MLflow's searches sent as POST;
/// - `write`: every other change.
public enum RouteScopes {
    public enum Need: Equatable, Sendable {
        case open
        case serving
        /// Every one of these.
        case scopes([TokenScope])
    }

    public static func need(_ method: HTTPRequest.Method, _ target: String) -> Need {
        // The open and serving routes, the ones hit hardest, are told from the bytes without a copy.
        var target = target
        if let quick = target.withUTF8({ quickNeed(method, $0) }) { return quick }
        return fullNeed(method, target)
    }

    /// The classification of any target, spelled any way.
    static func fullNeed(_ method: HTTPRequest.Method, _ target: String) -> Need {
        let raw = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target
        let reading = method == .get || method == .head
        if reading && (raw == "/health" || raw == "/ready" || raw == "/openapi.json") { return .open }
        let sent = raw.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if isServing(method, sent) { return .serving }
        // Who the caller is: any live token may ask (a replica checking a predict-only token), spelled exactly.
        if reading && sent.elementsEqual(["api", "v1", "tokens", "current"]) { return .scopes([]) }
        let both = Set([scope(method, sent.map(String.init)), scope(method, canonical(raw))])
        return .scopes(TokenScope.allCases.filter(both.contains))
    }

    static func scope(_ method: HTTPRequest.Method, _ segments: [String]) -> TokenScope {
        let reading = method == .get || method == .head
        // MLflow's routes sit under /api/2.0/mlflow or /ajax-api/2.0/mlflow; compare what follows.
        let isMLflow = segments.count >= 3 && (segments[0] == "api" || segments[0] == "ajax-api") && segments[1] == "2.0" && segments[2] == "mlflow"
        let mlflow = isMLflow ? Array(segments.dropFirst(3)) : []
        if isMLflow, mlflow.first == "webhooks" || mlflow.first == "users" { return reading ? .read : .admin }
        if segments.starts(with: ["api", "v1"]) {
            let rest = Array(segments.dropFirst(2))
            if ["webhooks", "deliveries", "users", "tokens", "jobs", "pipelines"].contains(rest.first ?? "") { return reading ? .read : .admin }
            if rest.first == "policies" || (rest.count == 3 && rest[0] == "models" && ["policy", "promote", "approve", "rollback"].contains(rest[2])) {
                return reading ? .read : .promote
            }
        }
        if segments.starts(with: ["ui", "models"]), !reading {
            if segments.count == 4, ["promote", "approve", "rollback"].contains(segments[3]) { return .promote }
            if segments.count == 6, segments[3] == "deliveries" { return .admin }
        }
        // The dashboard's "Run now" runs a job, as POST /api/v1/jobs/{name}/run does: admin.
        if segments.starts(with: ["ui", "jobs"]), !reading, segments.count == 4, segments[3] == "run" { return .admin }
        if reading { return .read }
        if isMLflow, mlflow.last == "search" || mlflow.last == "get-latest-versions" { return .read }
        // Alias and stage moves: `write`, or `promote` for production of a model with a policy;
        // the route checks which (`MLflowRequest.authorizeMove`), as it knows the model.
        if isMLflow, mlflow == ["registered-models", "alias"] || mlflow == ["model-versions", "transition-stage"] { return .read }
        return .write
    }

    /// `.open` or `.serving` for a target spelled exactly as those routes are (before any `?`);
    /// nil for anything else, which the full classification decides.
    static func quickNeed(_ method: HTTPRequest.Method, _ bytes: UnsafeBufferPointer<UInt8>) -> Need? {
        let reading = method == .get || method == .head
        guard reading || method == .post, bytes.first == UInt8(ascii: "/") else { return nil }
        let end = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex
        // Up to three segments after the leading slash.
        var segments: (Range<Int>, Range<Int>, Range<Int>) = (0..<0, 0..<0, 0..<0)
        var count = 0
        var start = 1
        for i in 1...end where i == end || bytes[i] == UInt8(ascii: "/") {
            guard count < 3 else { return nil }
            switch count {
            case 0: segments.0 = start..<i
            case 1: segments.1 = start..<i
            default: segments.2 = start..<i
            }
            count += 1
            start = i + 1
        }
        func equals(_ range: Range<Int>, _ text: StaticString) -> Bool {
            range.count == text.utf8CodeUnitCount && memcmp(bytes.baseAddress! + range.lowerBound, text.utf8Start, range.count) == 0
        }
        if reading {
            if count == 1 && (equals(segments.0, "health") || equals(segments.0, "ready") || equals(segments.0, "openapi.json")) { return .open }
            if equals(segments.0, "models") && (count == 1 || (count == 2 && !segments.1.isEmpty)) { return .serving }
            return nil
        }
        if count == 1 && (equals(segments.0, "predict") || equals(segments.0, "invocations")) { return .serving }
        if count == 3 && equals(segments.0, "models") && !segments.1.isEmpty && (equals(segments.2, "predict") || equals(segments.2, "invocations")) {
            return .serving
        }
        return nil
    }

    static func isServing(_ method: HTTPRequest.Method, _ sent: ArraySlice<Substring>) -> Bool {
        let segments = Array(sent)
        if method == .post {
            if segments.count == 1 { return segments[0] == "predict" || segments[0] == "invocations" }
            return segments.count == 3 && segments[0] == "models" && !segments[1].isEmpty && (segments[2] == "predict" || segments[2] == "invocations")
        }
        if method == .get || method == .head {
            return segments.count == 1 ? segments[0] == "models" : segments.count == 2 && segments[0] == "models" && !segments[1].isEmpty
        }
        return false
    }

    /// The path's segments with escapes decoded, empty and `.` segments dropped, `..` applied, lowercased.
    static func canonical(_ path: String) -> [String] {
        var out: [String] = []
        for segment in (path.removingPercentEncoding ?? path).lowercased().split(separator: "/") {
            if segment == "." { continue }
            if segment == ".." {
                _ = out.popLast()
                continue
            }
            out.append(String(segment))
        }
        return out
    }
}
