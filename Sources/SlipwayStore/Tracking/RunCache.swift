import SlipwayCore
import Synchronization

/// In-memory copies of whole experiments' runs, so that run searches on SQLite filter and sort in
/// memory instead of joining tables for every request.
///
/// Correctness rests on three rules: every run write of this process invalidates its experiment
/// before it commits and again after; a loaded copy is installed only if its experiment was not
/// invalidated while it loaded (generation check); and a commit by another process (the CLI, say)
/// is seen through SQLite's `PRAGMA data_version`, which drops everything.
final class RunCache: Sendable {
    struct Entry {
        var generation: UInt64
        var runs: CachedRuns?
        /// Counted at this generation and found too large to cache: searched in SQL without counting again.
        var tooLarge = false
    }

    /// An experiment's runs, each with a slot for encodings made of it (dropped with the runs).
    struct CachedRuns: Sendable {
        let runs: [Run]
        let memos: [Memo]

        init(_ runs: [Run]) {
            self.runs = runs
            self.memos = runs.map { _ in Memo() }
        }
    }

    /// Encodings of one cached run, by encoding name.
    final class Memo: Sendable {
        private let slot = Mutex<[String: any Sendable]>([:])

        func value<T: Sendable>(_ encoding: String, orMake make: () -> T) -> T {
            if let value = slot.withLock({ $0[encoding] }) as? T { return value }
            let value = make()
            slot.withLock { $0[encoding] = value }
            return value
        }
    }

    struct State {
        var entries: [String: Entry] = [:]
        var dataVersion: Int64?
        var cachedRuns = 0
    }

    /// Experiments with more runs than this are searched in SQL instead.
    let maxRunsPerExperiment: Int
    /// The most runs kept in memory across experiments.
    let maxCachedRuns: Int
    private let state = Mutex(State())

    init(maxRunsPerExperiment: Int = 20_000, maxCachedRuns: Int = 200_000) {
        self.maxRunsPerExperiment = maxRunsPerExperiment
        self.maxCachedRuns = maxCachedRuns
    }

    /// The cached runs of an experiment, or the generation to pass to `install` (or `tooLarge`)
    /// after loading (or counting) them; `tooLarge` if it was found too large since its last change.
    func lookup(_ experimentID: String) -> (runs: CachedRuns?, generation: UInt64, tooLarge: Bool) {
        state.withLock { state in
            let entry = state.entries[experimentID] ?? Entry(generation: 0, runs: nil)
            return (entry.runs, entry.generation, entry.tooLarge)
        }
    }

    /// Remembers that an experiment has too many runs to cache, unless it changed since `generation`.
    func tooLarge(_ experimentID: String, generation: UInt64) {
        state.withLock { state in
            var entry = state.entries[experimentID] ?? Entry(generation: 0, runs: nil)
            guard entry.generation == generation else { return }
            entry.tooLarge = true
            state.entries[experimentID] = entry
        }
    }

    /// Keeps loaded runs unless the experiment was invalidated since `generation` was read.
    func install(_ experimentID: String, runs: CachedRuns, generation: UInt64) {
        state.withLock { state in
            var entry = state.entries[experimentID] ?? Entry(generation: 0, runs: nil)
            guard entry.generation == generation, entry.runs == nil,
                  runs.runs.count <= maxRunsPerExperiment, state.cachedRuns + runs.runs.count <= maxCachedRuns else { return }
            entry.runs = runs
            state.cachedRuns += runs.runs.count
            state.entries[experimentID] = entry
        }
    }

    /// Forgets an experiment's runs; loads in flight for it will not be installed.
    func invalidate(_ experimentID: String) {
        state.withLock { state in
            var entry = state.entries[experimentID] ?? Entry(generation: 0, runs: nil)
            state.cachedRuns -= entry.runs?.runs.count ?? 0
            entry.generation &+= 1
            entry.runs = nil
            entry.tooLarge = false
            state.entries[experimentID] = entry
        }
    }

    /// Records the database's data version; a change (another process committed) drops everything.
    func observe(dataVersion: Int64) {
        state.withLock { state in
            if let previous = state.dataVersion, previous != dataVersion {
                for key in state.entries.keys {
                    state.entries[key]!.generation &+= 1
                    state.entries[key]!.runs = nil
                    state.entries[key]!.tooLarge = false
                }
                state.cachedRuns = 0
            }
            state.dataVersion = dataVersion
        }
    }
}
