/// Where the store keeps its data: an embedded SQLite file (the default), SQLite in memory
/// (tests), or a PostgreSQL server shared by several processes.
public enum DatabaseConfiguration: Sendable, Equatable {
    case sqliteFile(path: String)
    case sqliteMemory
    case postgres(url: String)

    /// A short description without credentials, for logs.
    public var redacted: String {
        switch self {
        case .sqliteFile(let path): return "sqlite:\(path)"
        case .sqliteMemory: return "sqlite::memory:"
        case .postgres(let url):
            guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
            return String(url[..<scheme.upperBound]) + "***" + String(url[at...])
        }
    }
}
