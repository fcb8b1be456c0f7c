import Foundation
public import Logging
public import SlipwayCore
public import Testing

/// Expects `body` to throw a SlipwayError with `code`.
public func expectError(_ code: ErrorCode, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected \(code.rawValue), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as SlipwayError {
        #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
    }
}

/// A logger that prints warnings and worse.
public func quietLogger() -> Logger {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    return logger
}

/// A fresh directory under /tmp, removed after `body`.
public func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let directory = NSTemporaryDirectory() + "slipway-test-" + IDGenerator.hex32()
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await body(directory)
}
