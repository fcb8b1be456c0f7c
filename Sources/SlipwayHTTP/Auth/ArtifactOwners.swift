import Synchronization
import SlipwayCore

/// Which experiments own a path of the artifact proxy: those whose `mlflow-artifacts:` location
/// is the path or one of its folders. An experiment keeps its artifacts under its location (by
/// default `<experiment id>`, or the `artifact_location` it was created with), so a path is
/// checked against its owners' permissions, whatever its first segment says. A path no experiment
/// owns is its first segment's, as MLflow reads it.
///
/// The locations are read at once and kept: a path no kept location covers reads them again (an
/// experiment created since), so only paths outside every experiment cost a read each time.
final class ArtifactOwners: Sendable {
    struct Location {
        let experiment: String
        let segments: [Substring]
    }

    /// Every experiment's id and artifact location.
    let load: @Sendable () async throws -> [(id: String, location: String)]
    private let locations = Mutex<[Location]?>(nil)

    init(load: @escaping @Sendable () async throws -> [(id: String, location: String)]) {
        self.load = load
    }

    /// The experiments that own `path` (a store path, decoded, without a leading slash).
    func owners(_ path: String) async throws -> [String] {
        let segments = Self.segments(path)
        if let kept = locations.withLock({ $0 }), let found = Self.covering(segments, kept) { return found }
        let fresh = try await load().compactMap { entry -> Location? in
            guard let stored = ArtifactsController.proxiedPath(entry.location) else { return nil }
            return Location(experiment: PermissionGate.experimentID(entry.id), segments: Self.segments(stored))
        }
        locations.withLock { $0 = fresh }
        if let found = Self.covering(segments, fresh) { return found }
        return segments.first.map { [PermissionGate.experimentID(String($0))] } ?? []
    }

    /// - Throws: INVALID_PARAMETER_VALUE when an `mlflow-artifacts:` location would share a folder
    /// with another experiment's (at, above or below it), or take a number's folder (another
    /// experiment's default), so that each artifact has one owner.
    func requireOwnFolder(_ location: String) async throws {
        guard let stored = ArtifactsController.proxiedPath(location) else { return }
        let segments = Self.segments(stored)
        guard let first = segments.first else {
            throw SlipwayError.invalidParameter("An experiment's artifact_location may not be the artifact store's root: 'mlflow-artifacts:/' holds every experiment")
        }
        if first == "_slipway" {
            throw SlipwayError.invalidParameter("'\(location)' is inside Slipway's own folder of the artifact store; pick another location")
        }
        if Int64(first) != nil {
            throw SlipwayError.invalidParameter("'\(location)' is inside experiment \(first)'s default folder; pick a location whose first folder is not a number")
        }
        for entry in try await load() {
            guard let other = ArtifactsController.proxiedPath(entry.location).map(Self.segments) else { continue }
            if other.starts(with: segments) || segments.starts(with: other) {
                throw SlipwayError.invalidParameter("'\(location)' shares a folder with experiment \(entry.id)'s artifacts ('\(entry.location)'); pick another location")
            }
        }
        locations.withLock { $0 = nil }
    }

    static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/").filter { $0 != "." }
    }

    /// The experiments of the locations that cover `segments`; nil when none does.
    static func covering(_ segments: [Substring], _ locations: [Location]) -> [String]? {
        let found = locations.filter { segments.starts(with: $0.segments) }.map(\.experiment)
        return found.isEmpty ? nil : found
    }
}
