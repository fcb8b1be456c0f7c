import ArgumentParser
import Foundation
import SlipwayApp
import SlipwayClient
import SlipwayCore

/// `--server URL` (or `SLIPWAY_SERVER`): run the command against a Slipway server instead of the
/// store, with `--token`/`SLIPWAY_TOKEN` for a server with auth and `--ca-cert`/`SLIPWAY_CA_CERT`
/// for a certificate a private CA signed. Same output and exit codes either way.
struct RemoteOptions: ParsableArguments {
    @Option(name: .customLong("server"), help: "Run against this Slipway server's URL instead of the local store (env SLIPWAY_SERVER).")
    var server: String?
    @Option(name: .customLong("token"), help: "An API token for a server with auth (env SLIPWAY_TOKEN).")
    var token: String?
    @Option(name: .customLong("ca-cert"), help: "PEM CA certificates to trust besides the system's, for an https:// server (env SLIPWAY_CA_CERT).")
    var certificateAuthority: String?

    /// The server, token and CA file the options or the environment name; nil for the local store.
    var resolved: (server: String, token: String?, certificateAuthority: String?)? {
        guard let server = Self.value(server, "SLIPWAY_SERVER") else { return nil }
        return (server, credentials.token, credentials.certificateAuthority)
    }

    /// The token and CA file, for whichever server.
    var credentials: (token: String?, certificateAuthority: String?) {
        (Self.value(token, "SLIPWAY_TOKEN"), Self.value(certificateAuthority, "SLIPWAY_CA_CERT"))
    }

    static func value(_ option: String?, _ variable: String) -> String? {
        option ?? ProcessInfo.processInfo.environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The client of the server named by the option or the environment; nil for the local store.
    func client() throws(SlipwayError) -> ServerClient? {
        guard let (server, token, certificateAuthority) = resolved else { return nil }
        return try ServerClient(url: server, token: token, certificateAuthority: certificateAuthority)
    }
}

/// Where a command does its work.
enum CommandTarget {
    /// The store, opened directly.
    case local(AppServices)
    /// A server, over its HTTP API.
    case remote(ServerClient)
}

/// Runs `body` against the server `remote` names, or else on the store `store` names. A
/// ``SlipwayError`` becomes a message and exit 1; a server that cannot be reached, exit 2 (as a
/// store that cannot be opened).
func withTarget<T>(_ store: StoreOptions, _ remote: RemoteOptions, _ body: (CommandTarget) async throws -> T) async throws -> T {
    let client: ServerClient?
    do {
        client = try remote.client()
    } catch {
        throw ValidationError(error.message)
    }
    guard let client else { return try await withServices(store) { try await body(.local($0)) } }
    do {
        let result = try await body(.remote(client))
        await client.shutdown()
        return result
    } catch let error as SlipwayError {
        await client.shutdown()
        printError(error.message)
        throw ExitCode(error.code == .temporarilyUnavailable && error.message.hasPrefix("Server at") ? 2 : 1)
    } catch {
        await client.shutdown()
        throw error
    }
}

/// `/api/2.0/mlflow/` + `path`.
func mlflow(_ path: String) -> String { "/api/2.0/mlflow/" + path }

/// A path segment, percent-encoded.
func segment(_ text: String) -> String { ServerClient.segment(text) }
