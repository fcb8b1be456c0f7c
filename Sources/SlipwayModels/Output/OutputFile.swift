import Foundation
import Glibc
public import SlipwayCore

/// Where a stream of output bytes goes: standard output, or a file that appears whole. A file is
/// written beside its destination under a temporary name and renamed into place by ``finish()``,
/// so a failed run leaves the destination as it was.
public final class OutputFile {
    let descriptor: Int32
    let path: String?
    let partialPath: String?

    /// - Parameter path: the destination, or nil for standard output.
    /// - Throws: `INVALID_PARAMETER_VALUE` when the file cannot be created.
    public init(path: String?) throws(SlipwayError) {
        self.path = path
        guard let path else {
            descriptor = STDOUT_FILENO
            partialPath = nil
            return
        }
        let partial = path + ".partial-\(getpid())"
        let fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw .invalidParameter("Cannot write output file '\(path)': \(String(cString: strerror(errno)))")
        }
        descriptor = fd
        partialPath = partial
    }

    deinit {
        if let partialPath {
            close(descriptor)
            unlink(partialPath)
        }
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws(SlipwayError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .invalidParameter("Cannot write \(path.map { "output file '\($0)'" } ?? "standard output"): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// Puts the file in place (nothing to do for standard output).
    public func finish() throws(SlipwayError) {
        guard let path, let partialPath else { return }
        guard fsync(descriptor) == 0 || errno == EINVAL, rename(partialPath, path) == 0 else {
            throw .invalidParameter("Cannot write output file '\(path)': \(String(cString: strerror(errno)))")
        }
    }
}
