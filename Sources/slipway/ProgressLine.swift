import Foundation

/// Rows, rows per second, elapsed time and the time left (from the bytes read of all the input)
/// on one rewritten line of standard error; `nil` when standard error is not a terminal.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let started = Date()
    private let totalBytes: Int
    private var lastShown = Date.distantPast
    private var rows = 0
    private var bytes = 0

    init?(totalBytes: Int) {
        guard isatty(2) == 1 else { return nil }
        self.totalBytes = totalBytes
    }

    func update(_ rows: Int, _ bytes: Int) {
        lock.withLock {
            self.rows = rows
            self.bytes = bytes
            guard Date().timeIntervalSince(lastShown) >= 0.25 else { return }
            lastShown = Date()
            show()
        }
    }

    func finish() {
        lock.withLock {
            show()
            FileHandle.standardError.write(Data("\n".utf8))
        }
    }

    private func show() {
        let seconds = max(Date().timeIntervalSince(started), 1e-3)
        let left = bytes > 0 ? seconds * Double(max(totalBytes - bytes, 0)) / Double(bytes) : .nan
        let line = String(format: "\r%d rows, %.0f rows/s, %.1f s, ", rows, Double(rows) / seconds, seconds)
            + (left.isFinite ? String(format: "ETA %.0f s ", left) : "ETA - ")
        FileHandle.standardError.write(Data(line.utf8))
    }
}
