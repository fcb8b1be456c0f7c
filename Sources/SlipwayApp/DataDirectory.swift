import Foundation
import SlipwayCore

/// The `--data-dir` a store lives in: created when missing, and checked to be a writable directory,
/// with a message that says what is wrong and what to do (not a raw Foundation error).
enum DataDirectory {
    static func prepare(_ path: String) throws(SlipwayError) {
        let remedy = "give --data-dir (or SLIPWAY_DATA_DIR) a directory Slipway can create and write"
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw SlipwayError(.invalidParameterValue, "the data directory '\(path)' is a file, not a directory: \(remedy)")
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SlipwayError(.invalidParameterValue, "cannot create the data directory '\(path)': \(reason(error)); \(remedy)")
        }
        let probe = path + "/.slipway-write-check-" + IDGenerator.hex32()
        guard FileManager.default.createFile(atPath: probe, contents: Data()) else {
            throw SlipwayError(.invalidParameterValue, "the data directory '\(path)' is not writable: \(remedy)")
        }
        try? FileManager.default.removeItem(atPath: probe)
    }

    /// The operating system's reason under a Foundation file error (`no such file or directory`).
    static func reason(_ error: any Error) -> String {
        if let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? POSIXError { return String(cString: strerror(posix.code.rawValue)).lowercased() }
        return (error as NSError).localizedDescription
    }
}
