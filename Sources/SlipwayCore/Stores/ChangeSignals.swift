import Synchronization

/// What other servers sharing the database must react to at once.
public enum ChangeKind: String, Sendable, CaseIterable {
    /// A registered model's aliases, stages or versions (the subject is its name).
    case model
    /// A model's promotion policy.
    case policy
    /// A job or pipeline.
    case job
    /// A token or a user (created, revoked, disabled).
    case token
    /// A permission granted or revoked.
    case grant
}

/// A change announced by a server to the others sharing its database.
public struct Change: Sendable, Hashable {
    public var kind: ChangeKind
    public var subject: String

    public init(kind: ChangeKind, subject: String) {
        self.kind = kind
        self.subject = subject
    }
}

/// A generation per kind of change, bumped whenever another server announces one: what this
/// process keeps for a while (who a token is, a user's grants) is dropped when the generation it
/// was read under has passed.
public final class ChangeSignals: Sendable {
    private let generations = Mutex<[ChangeKind: Int]>([:])

    public init() {}

    public func generation(_ kind: ChangeKind) -> Int {
        generations.withLock { $0[kind] ?? 0 }
    }

    public func bump(_ kind: ChangeKind) {
        generations.withLock { $0[kind, default: 0] += 1 }
    }
}
