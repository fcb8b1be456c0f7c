import Foundation
import SlipwayCore

/// One Python process serving one model (`PythonWorkerScript`), spoken to over its stdin and
/// stdout in length-prefixed frames. Every call blocks its thread; the pool runs them off Swift's
/// cooperative threads. A worker that fails a call (it died, hung past the timeout, or broke the
/// framing) is finished: the pool kills it and starts another.
final class PythonWorker: @unchecked Sendable {
    let process: Process
    let toWorker: FileHandle
    let fromWorker: FileHandle

    struct Hello: Sendable {
        var columns: [String]
        var flavor: String
        var labels: Bool
        var width: Int
    }

    /// What went wrong in a call: the worker is finished, or only this batch failed (the model refused it).
    enum Failure: Error {
        case workerLost(String)
        case modelError(String)
    }

    private init(process: Process, toWorker: FileHandle, fromWorker: FileHandle) {
        self.process = process
        self.toWorker = toWorker
        self.fromWorker = fromWorker
    }

    /// Starts a worker for `directory` and reads its hello.
    static func start(runtime: PythonRuntime, directory: String) throws(SlipwayError) -> (PythonWorker, Hello) {
        ignoreBrokenPipes
        let process = Process()
        process.executableURL = URL(fileURLWithPath: runtime.interpreter)
        process.arguments = ["-c", PythonWorkerScript.source, "slipway-python-worker", directory]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        do {
            try process.run()
        } catch {
            throw .invalidParameter("Cannot start the Python interpreter '\(runtime.interpreter)': \(error)")
        }
        let worker = PythonWorker(process: process, toWorker: input.fileHandleForWriting, fromWorker: output.fileHandleForReading)
        let hello: JSONValue
        do {
            let bytes = try worker.readFrame(timeout: runtime.loadTimeoutSeconds)
            hello = try JSONParser.parse(bytes)
        } catch {
            worker.kill()
            throw .invalidParameter("The Python worker for '\(directory)' did not start: \(Self.describe(error))")
        }
        guard hello["ok"] == .bool(true), let columns = hello["columns"]?.arrayValue?.compactMap(\.stringValue) else {
            worker.kill()
            throw .invalidParameter("The Python worker cannot load '\(directory)': \(hello["error"]?.stringValue ?? "no reason given")")
        }
        let width = Int(hello["width"]?.numberValue ?? 1)
        return (worker, Hello(
            columns: columns, flavor: hello["flavor"]?.stringValue ?? "python_function",
            labels: hello["output"]?.stringValue == "labels", width: max(1, width)))
    }

    /// Sends one batch and reads the answer: numbers (`rows * width`) or text labels (one per row).
    func predict(_ features: FeatureMatrix, timeout: Double) throws(Failure) -> (numbers: [Double], width: Int, labels: [String]?) {
        var frame = [UInt8]()
        frame.reserveCapacity(12 + features.values.count * 8)
        Self.append(UInt32(8 + features.values.count * 8), to: &frame)
        Self.append(UInt32(features.rows), to: &frame)
        Self.append(UInt32(features.columns), to: &frame)
        for value in features.values { Self.append(value.bitPattern, to: &frame) }
        try write(frame)
        let answer = try readFrame(timeout: timeout)
        guard let kind = answer.first else { throw .workerLost("the worker sent an empty answer") }
        switch kind {
        case 0:
            guard answer.count >= 9 else { throw .workerLost("the worker sent a short answer") }
            let rows = Int(Self.u32(answer, 1)), width = Int(Self.u32(answer, 5))
            guard rows == features.rows, width >= 1, answer.count == 9 + rows * width * 8 else {
                throw .modelError("the model answered \(rows) rows of \(width) for \(features.rows) rows")
            }
            var numbers = [Double](repeating: 0, count: rows * width)
            for i in numbers.indices { numbers[i] = Double(bitPattern: Self.u64(answer, 9 + i * 8)) }
            return (numbers, width, nil)
        case 2:
            guard let list = try? JSONParser.parse(Array(answer.dropFirst())).arrayValue, list.count == features.rows else {
                throw .modelError("the model answered labels that do not match the rows")
            }
            return ([], 1, list.map { $0.stringValue ?? "" })
        case 1:
            throw .modelError(String(decoding: answer.dropFirst(), as: UTF8.self))
        default:
            throw .workerLost("the worker sent an answer of unknown kind \(kind)")
        }
    }

    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        try? toWorker.close()
        try? fromWorker.close()
    }

    var pid: Int32 { process.processIdentifier }

    // MARK: Frames

    private func write(_ bytes: [UInt8]) throws(Failure) {
        let fd = toWorker.fileDescriptor
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .workerLost("the worker stopped reading (\(String(cString: strerror(errno))))") }
            offset += n
        }
    }

    private func readFrame(timeout: Double) throws(Failure) -> [UInt8] {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9)
        let header = try read(4, deadline: deadline, timeout: timeout)
        let length = Int(Self.u32(header, 0))
        guard length <= 1 << 30 else { throw .workerLost("the worker sent a frame of \(length) bytes") }
        return try read(length, deadline: deadline, timeout: timeout)
    }

    private func read(_ count: Int, deadline: UInt64, timeout: Double) throws(Failure) -> [UInt8] {
        let fd = fromWorker.fileDescriptor
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { throw .workerLost("the worker did not answer within \(timeout) s") }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min((deadline - now) / 1_000_000 + 1, 60_000)))
            if ready < 0 && errno == EINTR { continue }
            guard ready >= 0 else { throw .workerLost("polling the worker failed (\(String(cString: strerror(errno))))") }
            if ready == 0 { continue }
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + offset, count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .workerLost(exitDescription) }
            offset += n
        }
        return bytes
    }

    /// Why the worker's output ended.
    private var exitDescription: String {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let how = process.terminationReason == .uncaughtSignal ? "was killed by signal \(process.terminationStatus)" : "exited with status \(process.terminationStatus)"
        return "the worker (pid \(process.processIdentifier)) \(how)"
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case Failure.workerLost(let why), Failure.modelError(let why): return why
        case let error as SlipwayError: return error.message
        default: return "\(error)"
        }
    }

    static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
    }

    static func u64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }

    /// A worker that dies must give EPIPE on write, not kill the server with SIGPIPE.
    static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()
}
