import Synchronization
public import SlipwayCore

/// Per-resource permissions on a server with auth: what a user may do with one registered model or
/// experiment, in MLflow's vocabulary. An admin may do everything; anyone else holds their explicit grant on the
/// resource (`NO_PERMISSIONS` hides it), or else the server's default. Tokens' scopes are checked
/// first (`AuthMiddleware`); this narrows a user further on one resource.
public final class PermissionGate: Sendable {
    /// A resource as the store tells them apart: by its bytes (Swift's `==` would make two
    /// spellings of one accented name, two models in the store, one key).
    struct Key: Hashable {
        let type: ResourceType
        let resource: String

        static func == (a: Key, b: Key) -> Bool { a.type == b.type && a.resource.utf8.elementsEqual(b.resource.utf8) }

        func hash(into hasher: inout Hasher) {
            hasher.combine(type)
            var bytes = resource
            bytes.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    struct Entry {
        let grants: [Key: Permission]
        /// The kinds of resource the user holds a grant on.
        let types: Set<ResourceType>
        let until: Int64
        /// The generation of grant changes on other servers it was read under.
        var remote = 0
    }

    let store: any AuthStore
    /// What a user holds on a resource without a grant of their own: `MANAGE` leaves the scopes
    /// alone to decide (the default); `READ` is MLflow's default.
    let defaultPermission: Permission
    let cacheMilliseconds: Int64
    let now: @Sendable () -> Int64
    /// Each user's grants, read at once and kept briefly: another process's grant shows within
    /// `cacheMilliseconds`; this process's own changes at once. The generation counts this
    /// process's changes: grants read while one happened are used once and not kept.
    private let cache = Mutex(Cache())

    struct Cache {
        var entries: [String: Entry] = [:]
        var generation = 0
    }

    /// The experiment a run belongs to. - Throws: the store's NOT_FOUND for an unknown run.
    let experimentOfRun: @Sendable (String) async throws -> String
    /// The id of the experiment of a name, nil when there is none.
    let experimentNamed: @Sendable (String) async throws -> String?
    /// The experiment a logged model belongs to. - Throws: the store's NOT_FOUND for an unknown model.
    let experimentOfLoggedModel: @Sendable (String) async throws -> String
    /// The experiments that own each path of the artifact proxy.
    let artifactOwners: ArtifactOwners
    /// Grants changed on other servers sharing the database: what is kept is dropped when one is.
    public let signals: ChangeSignals?

    public init(
        store: any AuthStore, defaultPermission: Permission, cacheMilliseconds: Int64,
        experimentOfRun: @escaping @Sendable (String) async throws -> String, experimentNamed: @escaping @Sendable (String) async throws -> String?,
        experimentOfLoggedModel: @escaping @Sendable (String) async throws -> String,
        experimentLocations: @escaping @Sendable () async throws -> [(id: String, location: String)],
        signals: ChangeSignals? = nil, now: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) {
        self.signals = signals
        self.store = store
        self.defaultPermission = defaultPermission
        self.cacheMilliseconds = cacheMilliseconds
        self.experimentOfRun = experimentOfRun
        self.experimentNamed = experimentNamed
        self.experimentOfLoggedModel = experimentOfLoggedModel
        self.artifactOwners = ArtifactOwners(load: experimentLocations)
        self.now = now
    }

    /// Whether a check of `identity` on resources of `type` could refuse anything: not for an
    /// admin, nor for a user with no grant of that kind on a server whose default is MANAGE. Then
    /// nothing needs looking up (a run's experiment, say, on every logged metric).
    func constrains(_ identity: AuthIdentity?, _ type: ResourceType) async throws -> Bool {
        guard let identity, !identity.isAdmin else { return false }
        if defaultPermission != .manage { return true }
        return try await entry(identity.user).types.contains(type)
    }

    /// What `identity` may do with the resource.
    func permission(_ identity: AuthIdentity, _ type: ResourceType, _ resource: String) async throws -> Permission {
        if identity.isAdmin { return .manage }
        return try await grants(identity.user)[Key(type: type, resource: resource)] ?? defaultPermission
    }

    /// - Throws: PERMISSION_DENIED unless `identity` (nil: a server without auth) holds `needed` on the resource.
    func require(_ identity: AuthIdentity?, _ needed: Permission, _ type: ResourceType, _ resource: String) async throws {
        guard let identity else { return }
        let held = try await permission(identity, type, resource)
        guard held.allows(needed) else {
            throw SlipwayError(.permissionDenied, "User '\(identity.user)' has \(held.rawValue) on \(type.describe(resource)); this needs \(needed.rawValue)")
        }
    }

    /// Whether `identity` may see the resource at all (READ or more).
    func canRead(_ identity: AuthIdentity?, _ type: ResourceType, _ resource: String) async throws -> Bool {
        guard let identity else { return true }
        return try await permission(identity, type, resource).allows(.read)
    }

    /// The items of a list `identity` may see, each about the registered model `model` names (nil:
    /// about none, always shown).
    func readableModels<Item>(_ items: [Item], _ identity: AuthIdentity?, model: (Item) -> String?) async throws -> [Item] {
        guard try await constrains(identity, .registeredModel), let identity else { return items }
        var kept: [Item] = []
        for item in items {
            if let name = model(item), try await !permission(identity, .registeredModel, name).allows(.read) { continue }
            kept.append(item)
        }
        return kept
    }

    /// - Throws: PERMISSION_DENIED unless `identity` holds `needed` on every experiment that owns
    /// `path` of the artifact proxy (a store path, decoded).
    func requireArtifacts(_ identity: AuthIdentity?, _ needed: Permission, path: String) async throws {
        guard try await constrains(identity, .experiment) else { return }
        for owner in try await artifactOwners.owners(path) { try await require(identity, needed, .experiment, owner) }
    }

    /// Forgets what is kept of `user`'s grants (after this process changed them).
    func forget(_ user: String) {
        cache.withLock {
            $0.entries[user] = nil
            $0.generation += 1
        }
    }

    /// Forgets every user's grants (after a resource was renamed or deleted).
    func forgetAll() {
        cache.withLock {
            $0.entries.removeAll()
            $0.generation += 1
        }
    }

    /// An experiment id as the store reads it (`05` and `+5` are experiment 5), so that a grant
    /// on `5` covers every spelling; anything else as it is.
    static func experimentID(_ text: String) -> String {
        Int64(text).map(String.init) ?? text
    }

    func grants(_ user: String) async throws -> [Key: Permission] {
        try await entry(user).grants
    }

    func entry(_ user: String) async throws -> Entry {
        let time = now()
        let remote = signals?.generation(.grant) ?? 0
        let (cached, generation) = cache.withLock { ($0.entries[user], $0.generation) }
        if let cached, cached.until > time, cached.remote == remote { return cached }
        var grants: [Key: Permission] = [:]
        for grant in try await store.grants(user: user) { grants[Key(type: grant.type, resource: grant.resource)] = grant.permission }
        // Under a MANAGE default a MANAGE grant (a creator's) refuses nothing: only lesser grants constrain.
        let entry = Entry(grants: grants, types: Set(grants.filter { $0.value != .manage }.keys.map(\.type)), until: time + cacheMilliseconds, remote: remote)
        cache.withLock { cache in
            guard cache.generation == generation else { return }  // changed meanwhile: do not keep what may be stale
            if cache.entries.count >= 10_000 { cache.entries.removeAll(keepingCapacity: true) }
            cache.entries[user] = entry
        }
        return entry
    }
}
