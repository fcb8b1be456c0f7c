import Crypto
import Foundation
import Glibc
public import SlipwayCore

/// The files a batch reads: a path, or a shell glob (`incoming/*.csv`) matched in name order.
public enum InputFiles {
    /// - Throws: `INVALID_PARAMETER_VALUE` for a path that does not exist or a glob that matches no file.
    public static func expand(_ pattern: String) throws(SlipwayError) -> [String] {
        let isGlob = pattern.contains(where: { "*?[".contains($0) })
        guard isGlob else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: pattern, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw .invalidParameter("Cannot read input file '\(pattern)'")
            }
            return [pattern]
        }
        var matches = glob_t()
        defer { globfree(&matches) }
        guard glob(pattern, 0, nil, &matches) == 0 else { throw .invalidParameter("No file matches '\(pattern)'") }
        var files: [String] = []
        for k in 0..<Int(matches.gl_pathc) {
            guard let path = matches.gl_pathv[k].map({ String(cString: $0) }) else { continue }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(path) }
        }
        guard !files.isEmpty else { throw .invalidParameter("No file matches '\(pattern)'") }
        return files.sorted()
    }
}

/// A file's SHA-256, read a megabyte at a time, and its size.
public enum FileDigest {
    /// Bytes in the file (0 when it cannot be read).
    public static func size(path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// The SHA-256 of some bytes, lowercase hex.
    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Lowercase hex. - Throws: `INVALID_PARAMETER_VALUE` for an unreadable file.
    public static func sha256(path: String) throws(SlipwayError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .invalidParameter("Cannot read input file '\(path)'") }
        defer { try? handle.close() }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw .invalidParameter("Cannot read input file '\(path)'") }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
