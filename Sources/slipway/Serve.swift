import ArgumentParser
import Foundation
import Hummingbird
import SlipwayCore
import SlipwayApp

/// `slipway serve`: a serving-only replica that follows a remote registry.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve models from a remote Slipway registry (a serving-only replica).",
        discussion: """
            Follows the registry at --registry: each --model NAME@ALIAS is served from the version behind the alias, \
            downloaded through the registry's artifact proxy and checked against its recorded SHA-256. Alias changes \
            arrive through the registry's change feed within a second, with polling as the fallback.
            """)

    @Option(help: "The registry server's URL, e.g. http://registry:5000.") var registry: String
    @Option(help: "An API token of the registry's, for a registry with auth (env SLIPWAY_TOKEN): read follows it, write also ships the prediction log.")
    var token: String?
    @Flag(name: .customLong("serving-auth"), help: "Prediction routes need a token with the predict scope, checked with the registry (which must run with auth).")
    var servingAuth = false
    @Option(name: .customLong("ca-cert"), help: "PEM CA certificates to trust besides the system's, for an https:// registry (env SLIPWAY_CA_CERT).")
    var certificateAuthority: String?
    @OptionGroup var python: PythonOptions
    @OptionGroup var tls: TLSOptions
    @Option(name: .customLong("model"), help: "A registered model's version behind an alias: NAME@ALIAS (repeatable; the first is /predict's).")
    var models: [String] = []
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(name: .customLong("cache-dir"), help: "Where downloaded model files are kept.") var cacheDirectory = "./slipway-replica"
    @Option(name: .customLong("max-body-mb"), help: "Largest JSON request body, in MiB.") var maxBodyMB = 16
    @Option(help: "Most rows in one prediction request.") var maxBatchRows = 10_000
    @Option(name: .customLong("poll-ms"), help: "How often aliases are re-read when the change feed is silent, in ms.") var pollMilliseconds = 1000
    @Option(name: .customLong("prediction-log-sample"), help: "Fraction of prediction requests logged to the registry, 0 to 1 (0: none).")
    var predictionLogSample = 1.0
    @Option(name: .customLong("prediction-log-queue"), help: "Served predictions waiting to be shipped at most; beyond it they are dropped and counted.")
    var predictionLogQueue = 100_000

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("Name at least one --model NAME@ALIAS to serve") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxBodyMB > 0 else { throw ValidationError("--max-body-mb must be positive") }
        guard maxBatchRows > 0 else { throw ValidationError("--max-batch-rows must be positive") }
        guard pollMilliseconds >= 50 else { throw ValidationError("--poll-ms must be at least 50") }
        guard (0...1).contains(predictionLogSample) else { throw ValidationError("--prediction-log-sample must be between 0 and 1") }
        guard predictionLogQueue > 0 else { throw ValidationError("--prediction-log-queue must be positive") }
        _ = try configuration()
    }

    func configuration() throws -> AppConfiguration {
        var config = AppConfiguration(host: host, port: port, dataDirectory: cacheDirectory, maxRequestBodyBytes: maxBodyMB << 20)
        do { try config.serve(models) } catch { throw ValidationError(error.message) }
        config.maxBatchRows = maxBatchRows
        config.servingPollInterval = .milliseconds(pollMilliseconds)
        config.predictionLogSample = predictionLogSample
        config.predictionLogQueueCapacity = predictionLogQueue
        config.tls = tls.files
        return config
    }

    func run() async throws {
        try python.apply()
        let logger = commandLogger(default: .info)
        let config = try configuration()
        do {
            let environment = ProcessInfo.processInfo.environment
            try await buildReplicaApplication(
                config, registry: registry, token: token ?? environment["SLIPWAY_TOKEN"].flatMap { $0.isEmpty ? nil : $0 },
                certificateAuthority: certificateAuthority ?? environment["SLIPWAY_CA_CERT"].flatMap { $0.isEmpty ? nil : $0 }, servingAuth: servingAuth,
                logger: logger
            ).runService()
        } catch let error as SlipwayError {
            printError(error.message)
            throw ExitCode(1)
        }
    }
}
