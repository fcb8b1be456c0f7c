import Foundation
import SlipwayCore
#if canImport(Glibc)
import Glibc
#endif

/// A program started in a process group of its own, its output (stdout and stderr together)
/// appended to a file, stdin from /dev/null, and none of the server's other file descriptors.
/// The group is what a timeout or a stop kills, so that a script's own children go with it.
struct ChildProcess: Sendable {
    let pid: pid_t

    /// How a process ended.
    enum Exit: Equatable, Sendable {
        case code(Int32)
        case signal(Int32)
    }

    /// - Parameters:
    ///   - program: an absolute path (see `resolve`).
    ///   - arguments: `argv`, from `argv[0]` as the command was written (as a shell passes it:
    ///     Python finds its virtual environment from it).
    /// - Throws: INVALID_STATE when the program cannot be started.
    static func spawn(
        program: String, arguments: [String], environment: [String: String], directory: String?, outputPath: String
    ) throws(SlipwayError) -> ChildProcess {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        // Signals the server ignores (SIGPIPE) are the program's to handle as it would anywhere.
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        if let closeFrom = Self.closeFrom { _ = closeFrom(&actions, 3) }
        if let directory = absolute(directory) {
            guard let changeDirectory = Self.changeDirectory else {
                throw SlipwayError(.invalidState, "This C library cannot start a program in another directory (posix_spawn_file_actions_addchdir_np)")
            }
            _ = changeDirectory(&actions, directory)
        }

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let status = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw SlipwayError(.invalidState, "Cannot start '\(program)'\(directory.map { " in \($0)" } ?? ""): \(String(cString: strerror(status)))")
        }
        return ChildProcess(pid: pid)
    }

    // glibc's extensions (2.29, 2.34), which Swift's Glibc module does not export: looked up at run time.
    typealias AddChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    static let changeDirectory: AddChangeDirectory? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChangeDirectory.self) }
    static let closeFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: AddCloseFrom.self) }

    /// The program's absolute path: `program` as it is when it names a path (relative to
    /// `directory`), else the first executable of that name on `searchPath`.
    /// - Throws: INVALID_PARAMETER_VALUE naming where it looked.
    static func resolve(_ program: String, searchPath: String?, directory: String?) throws(SlipwayError) -> String {
        let base = absolute(directory) ?? FileManager.default.currentDirectoryPath
        if program.contains("/") {
            let path = program.hasPrefix("/") ? program : base + "/" + program
            guard access(path, X_OK) == 0, !isDirectory(path) else {
                throw .invalidParameter("Command '\(program)' is not an executable file (looked at \(path))")
            }
            return path
        }
        let directories = (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        for directory in directories where !directory.isEmpty {
            let path = (directory.hasPrefix("/") ? directory : base + "/" + directory) + "/" + program
            if access(path, X_OK) == 0, !isDirectory(path) { return path }
        }
        throw .invalidParameter("Command '\(program)' was not found on PATH (\(directories.joined(separator: ":")))")
    }

    /// A directory made absolute against the server's own (as the program would be started there).
    static func absolute(_ directory: String?) -> String? {
        guard let directory else { return nil }
        return directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The exit, once the process has ended (reaping it); nil while it runs.
    func poll() -> Exit? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return result < 0 ? .code(-1) : nil }
        let signal = status & 0x7f
        return signal == 0 ? .code((status >> 8) & 0xff) : .signal(signal)
    }

    /// Sends `signal` to the whole process group.
    func signalGroup(_ signal: Int32) {
        _ = kill(-pid, signal)
    }

    /// Ends the group: SIGTERM, then SIGKILL after `grace` if the program is still there; returns its exit.
    func stop(grace: Duration) async -> Exit {
        signalGroup(SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if let exit = poll() {
                signalGroup(SIGKILL)  // what it started and left behind
                return exit
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        signalGroup(SIGKILL)
        // A process stuck in the kernel (a hung mount) may take its time to die: not forever here.
        let last = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < last {
            if let exit = poll() { return exit }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return .signal(SIGKILL)
    }
}
