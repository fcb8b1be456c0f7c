import ArgumentParser
import Foundation
import Logging
import SlipwayCore
import SlipwayApp

/// Where the data is: shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Directory holding the SQLite database and the artifacts (env SLIPWAY_DATA_DIR).")
    var dataDirectory: String = ProcessInfo.processInfo.environment["SLIPWAY_DATA_DIR"] ?? "./slipway-data"

    @Option(name: .customLong("database-url"), help: "postgres://user:password@host:port/database to use PostgreSQL (env SLIPWAY_DATABASE_URL).")
    var databaseURL: String?

    @Option(
        name: .customLong("artifacts-destination"),
        help: "s3://bucket/prefix to keep artifacts in S3 or an S3-compatible store (AWS_* variables, MLFLOW_S3_ENDPOINT_URL), or a directory (env SLIPWAY_ARTIFACTS_DESTINATION).")
    var artifactsDestination: String?

    /// `--database-url`, else `SLIPWAY_DATABASE_URL`.
    var resolvedDatabaseURL: String? {
        databaseURL ?? ProcessInfo.processInfo.environment["SLIPWAY_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func validate() throws {
        if let url = resolvedDatabaseURL, !(url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")) {
            let scheme = url.range(of: "://").map { "'" + url[..<$0.lowerBound] + "://...'" } ?? "a URL without a scheme"
            throw ValidationError("--database-url must start with postgres:// or postgresql:// (got \(scheme))")
        }
    }

    func configuration() -> AppConfiguration {
        var config = AppConfiguration(dataDirectory: dataDirectory, databaseURL: resolvedDatabaseURL)
        config.jobEnvironment = ProcessInfo.processInfo.environment
        config.storageEnvironment = ProcessInfo.processInfo.environment
        config.artifactsDestination = artifactsDestination ?? ProcessInfo.processInfo.environment["SLIPWAY_ARTIFACTS_DESTINATION"].flatMap { $0.isEmpty ? nil : $0 }
        return config
    }
}

/// A logger for the command line: warnings and up unless LOG_LEVEL says otherwise.
func commandLogger(default level: Logger.Level = .warning) -> Logger {
    var logger = Logger(label: "slipway")
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? level
    return logger
}

/// Opens the store and its services, runs `body`, closes them; a ``SlipwayError`` becomes a message and exit 1.
func withServices<T>(_ options: StoreOptions, _ body: (AppServices) async throws -> T) async throws -> T {
    let services: AppServices
    do {
        services = try await AppServices.open(options.configuration(), logger: commandLogger())
    } catch {
        printError("cannot open the store: \(describe(error))")
        throw ExitCode(2)
    }
    do {
        let result = try await body(services)
        try? await services.close()
        return result
    } catch let error as SlipwayError {
        try? await services.close()
        printError(error.message)
        throw ExitCode(1)
    } catch {
        try? await services.close()
        throw error
    }
}

/// An error as a person reads it: a SlipwayError's message, else the error's own description.
func describe(_ error: any Error) -> String {
    (error as? SlipwayError)?.message ?? "\(error)"
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}

/// A line for the person at the terminal that is not the command's output.
func printNote(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}
