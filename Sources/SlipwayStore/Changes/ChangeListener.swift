import Foundation
public import Logging
import PostgresKit
import PostgresNIO
public import SlipwayCore

/// Hears the changes other servers announce on a shared PostgreSQL database: one connection of its
/// own `LISTEN`s on ``StoreDatabase/changeChannel``; each notification (and each reconnection, after a
/// dropped connection or a restarted database) reads every change numbered after the last one seen,
/// so nothing announced while it was away is missed. `deliver` gets them in order.
public struct ChangeListener: Sendable {
    let database: StoreDatabase
    let logger: Logger
    let deliver: @Sendable ([Change]) -> Void
    /// Changes older than this are pruned (hourly): every listener has long read them.
    var keepMilliseconds: Int64 = 24 * 3600 * 1000
    /// How often the listening connection is asked whether it is still there.
    var beat: Duration = .seconds(15)

    public init(database: StoreDatabase, logger: Logger, deliver: @escaping @Sendable ([Change]) -> Void) {
        self.database = database
        self.logger = logger
        self.deliver = deliver
    }

    /// Listens until the task is cancelled; nothing to do on SQLite.
    public func run() async {
        guard case .postgres(let url) = database.configuration, let configuration = try? SQLPostgresConfiguration(url: url) else { return }
        var last: Int64?
        var retry: Duration = .milliseconds(50)
        var pruned = ContinuousClock.now - .seconds(3600)
        while !Task.isCancelled {
            do {
                if last == nil { last = try await database.latestChange() }
                let connection = try await PostgresConnection.connect(configuration: configuration.coreConfiguration, id: 1, logger: logger)
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: StoreDatabase.changeChannel) { notifications in
                    // Listening now: read what was announced before (or while reconnecting), then each time one is.
                    last = try await catchUp(after: last ?? 0)
                    retry = .milliseconds(50)
                    let seen = Seen(last ?? 0)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for try await _ in notifications { try await seen.advance { try await catchUp(after: $0) } }
                        }
                        // A connection dropped without a word (a NAT, a firewall) shows when it is asked something.
                        group.addTask {
                            while true {
                                try await Task.sleep(for: beat)
                                try await withTimeout(.seconds(10)) { _ = try await connection.query("SELECT 1", logger: logger).collect() }
                                try await seen.advance { try await catchUp(after: $0) }
                            }
                        }
                        try await group.next()
                        group.cancelAll()
                    }
                    last = await seen.value
                    if ContinuousClock.now - pruned > .seconds(3600) {
                        pruned = .now
                        try? await database.pruneChanges(olderThan: keepMilliseconds)
                    }
                }
                if Task.isCancelled { return }
                logger.warning("the change listener's connection closed; reconnecting")
            } catch {
                if Task.isCancelled { return }
                logger.warning("the change listener lost its connection; reconnecting", metadata: ["error": "\(String(reflecting: error))", "retry_ms": "\(retry.components.seconds * 1000 + retry.components.attoseconds / 1_000_000_000_000_000)"])
            }
            try? await Task.sleep(for: retry)
            retry = min(retry * 2, .seconds(1))
        }
    }

    func catchUp(after seq: Int64) async throws -> Int64 {
        var seq = seq
        while true {
            let (changes, latest) = try await database.changes(after: seq)
            if !changes.isEmpty { deliver(changes) }
            if latest == seq { return seq }
            seq = latest
        }
    }
}

/// The newest change read, shared by the listener's two tasks (one reads at a time).
actor Seen {
    var value: Int64

    init(_ value: Int64) {
        self.value = value
    }

    func advance(_ read: @Sendable (Int64) async throws -> Int64) async throws {
        value = try await read(value)
    }
}

/// Runs `body`, throwing when it takes longer than `limit`.
func withTimeout(_ limit: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask { try await body(); return true }
        group.addTask { try await Task.sleep(for: limit); return false }
        let finished = try await group.next() ?? false
        group.cancelAll()
        if !finished { throw SlipwayError(.temporarilyUnavailable, "no answer within \(limit)") }
    }
}
