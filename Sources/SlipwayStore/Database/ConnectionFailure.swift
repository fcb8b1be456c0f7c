import Foundation
import NIOCore
import NIOPosix
import PostgresKit

/// Why the store's database could not be opened, in words a person acts on: where, what went wrong
/// and nothing secret (the URL's password is never part of it).
enum ConnectionFailure {
    /// `cannot connect to PostgreSQL at 127.0.0.1:1: connection refused`, or the server's own
    /// reason (`database "x" does not exist`); `nil` for an error that is not PostgreSQL's.
    static func describe(_ error: any Error, url: String) -> String? {
        guard let error = error as? PSQLError else { return nil }
        let components = URLComponents(string: url)
        let place = "\(components?.host ?? "?"):\(components?.port ?? 5432)"
        if let message = error.serverInfo?[.message] {
            return "PostgreSQL at \(place) refused the connection: \(message)"
        }
        if error.code == .connectionError, let reason = error.underlying.map(reason(for:)) {
            return "cannot connect to PostgreSQL at \(place): \(reason) (is the server running, and is the --database-url right?)"
        }
        return "cannot connect to PostgreSQL at \(place): \(error.code)"
    }

    /// The socket-level reason: `connection refused`, `host not found`, ...
    static func reason(for error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
        if let connection = error as? NIOConnectionError {
            if connection.connectionErrors.isEmpty, connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return "host '\(connection.host)' not found"
            }
            if let first = connection.connectionErrors.first { return reason(for: first.error) }
        }
        if error is ChannelError { return "the connection timed out or was closed" }
        return "\(error)"
    }
}
