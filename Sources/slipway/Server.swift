import ArgumentParser
import Hummingbird
import SlipwayApp
import SlipwayCore
import SlipwayHTTP

/// `slipway server`: the tracking server, registry and artifact proxy in one process.
struct Server: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "server", abstract: "Run the Slipway server (MLflow-compatible API).")

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 5000
    @OptionGroup var store: StoreOptions
    @OptionGroup var python: PythonOptions
    @OptionGroup var tls: TLSOptions
    @Option(name: .customLong("max-body-mb"), help: "Largest JSON request body, in MiB.") var maxBodyMB = 16
    @Option(name: .customLong("model"), help: "Serve a registered model's version behind an alias: NAME@ALIAS (repeatable; the first is /predict's).")
    var models: [String] = []
    @Option(help: "Most rows in one prediction request.") var maxBatchRows = 10_000
    @Option(name: .customLong("webhook-retry-base-ms"), help: "First wait before a failed webhook delivery is retried; doubles each time, up to 5 minutes.")
    var webhookRetryBaseMilliseconds: Int64 = 1000
    @Option(name: .customLong("prediction-log-sample"), help: "Fraction of prediction requests logged, 0 to 1 (0: no prediction log).")
    var predictionLogSample = 1.0
    @Option(name: .customLong("prediction-log-retention-days"), help: "Days served predictions are kept (0: forever).")
    var predictionLogRetentionDays = 30
    @Option(name: .customLong("prediction-log-queue"), help: "Served predictions waiting to be written at most; beyond it they are dropped and counted.")
    var predictionLogQueue = 100_000
    @Flag(help: "Require a token on every route but /health and /ready (the default when --host is not a loopback address).")
    var auth = false
    @Flag(name: .customLong("insecure-no-auth"), help: "Serve everyone on a non-loopback --host, without tokens. Anyone who can reach the port can change the registry.")
    var insecureNoAuth = false
    @Flag(name: .customLong("serving-auth"), help: "Prediction routes need a token with the predict scope too (with auth).")
    var servingAuth = false
    @Option(name: .customLong("rate-limit"), help: ArgumentHelp(
        "Requests per token for a class of routes, CLASS=N/s|N/m|N/h|off (repeatable, with auth).",
        discussion: "Classes: read, write, promote, admin, predict (per token), open (per client address: /health, /ready, serving without --serving-auth). Defaults: read=600/s write=600/s promote=60/m admin=60/m; predict and open unlimited."))
    var rateLimits: [String] = []
    @Option(name: .customLong("default-permission"), help: ArgumentHelp(
        "What a user may do with a registered model nobody granted them anything on: MANAGE, EDIT, READ or NO_PERMISSIONS (with auth).",
        discussion: "MANAGE (the default) lets token scopes alone decide; READ is MLflow's default; a model's creator gets MANAGE on it."))
    var defaultPermission = "MANAGE"
    @Option(name: .customLong("max-concurrent-jobs"), help: "Jobs this process runs at once; more wait for a free slot.")
    var maxConcurrentJobs = 4
    @Option(name: .customLong("job-heartbeat-ms"), help: "How often a running job says it is alive; one silent for 6 of these is marked abandoned.")
    var jobHeartbeatMilliseconds = 5000
    @Option(name: .customLong("failed-logins-before-backoff"), help: "Failed logins from one address before it must wait (1 s, doubling to 5 min).")
    var failedLoginsBeforeBackoff = RateLimits.defaults.failedLoginsBeforeBackoff

    func validate() throws {
        guard (0...1).contains(predictionLogSample) else { throw ValidationError("--prediction-log-sample must be between 0 and 1") }
        guard predictionLogRetentionDays >= 0 else { throw ValidationError("--prediction-log-retention-days must be 0 or more") }
        guard predictionLogQueue > 0 else { throw ValidationError("--prediction-log-queue must be positive") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxBodyMB > 0 else { throw ValidationError("--max-body-mb must be positive") }
        guard maxBatchRows > 0 else { throw ValidationError("--max-batch-rows must be positive") }
        guard webhookRetryBaseMilliseconds > 0 else { throw ValidationError("--webhook-retry-base-ms must be positive") }
        guard maxConcurrentJobs > 0 else { throw ValidationError("--max-concurrent-jobs must be positive") }
        guard jobHeartbeatMilliseconds >= 50 else { throw ValidationError("--job-heartbeat-ms must be at least 50") }
        if auth && insecureNoAuth { throw ValidationError("--auth and --insecure-no-auth contradict each other") }
        if servingAuth && (insecureNoAuth || (!auth && AppConfiguration.isLoopback(host))) {
            throw ValidationError("--serving-auth needs auth on (--auth, or a non-loopback --host)")
        }
        if !rateLimits.isEmpty && (insecureNoAuth || (!auth && AppConfiguration.isLoopback(host))) {
            throw ValidationError("--rate-limit counts requests per token: it needs auth on (--auth, or a non-loopback --host)")
        }
        _ = try limits()
        do { _ = try Permission.parse(defaultPermission) } catch { throw ValidationError("--default-permission: \(error.message)") }
        var config = AppConfiguration()
        do { try config.serve(models) } catch { throw ValidationError(error.message) }
    }

    /// The defaults with each --rate-limit applied.
    func limits() throws -> RateLimits {
        guard failedLoginsBeforeBackoff > 0 else { throw ValidationError("--failed-logins-before-backoff must be positive") }
        var limits = RateLimits.defaults
        limits.failedLoginsBeforeBackoff = failedLoginsBeforeBackoff
        for spec in rateLimits {
            do { try limits.apply(spec) } catch { throw ValidationError(error.message) }
        }
        return limits
    }

    func run() async throws {
        try python.apply()
        var config = store.configuration()
        config.host = host
        config.port = port
        config.maxRequestBodyBytes = maxBodyMB << 20
        try config.serve(models)
        config.maxBatchRows = maxBatchRows
        config.webhookRetryBaseMilliseconds = webhookRetryBaseMilliseconds
        config.predictionLogSample = predictionLogSample
        config.predictionLogRetentionDays = predictionLogRetentionDays == 0 ? nil : predictionLogRetentionDays
        config.predictionLogQueueCapacity = predictionLogQueue
        config.tls = tls.files
        config.jobTrackingURI = config.ownURL
        config.maxConcurrentJobs = maxConcurrentJobs
        config.jobHeartbeat = .milliseconds(jobHeartbeatMilliseconds)
        // A certificate that cannot be used stops the start before the store is opened or migrated.
        do { _ = try config.serverBuilder() } catch {
            printError(error.message)
            throw ExitCode(2)
        }
        let logger = commandLogger(default: .info)
        if auth || (!insecureNoAuth && !AppConfiguration.isLoopback(host)) {
            config.auth = AuthSettings(servingAuth: servingAuth, rateLimits: try limits(), defaultPermission: try Permission.parse(defaultPermission))
        } else if insecureNoAuth {
            logger.warning("auth.disabled", metadata: [
                "host": "\(host)", "warning": "--insecure-no-auth: anyone who can reach this port can read, change and delete models and runs",
            ])
        }
        let services: AppServices
        config.checkArtifactStorage = true
        do {
            services = try await AppServices.open(config, logger: logger)
            if config.auth != nil, let (token, text) = try await services.bootstrapAdmin() {
                printNote("""
                    First start with auth: created user 'admin' and an admin token (id \(token.id)), shown this once:
                        \(text)
                    Use it as MLFLOW_TRACKING_TOKEN, or to create users and tokens: slipway users add NAME; slipway tokens create ...
                    """)
            }
        } catch {
            printError("cannot open the store: \(describe(error))")
            throw ExitCode(2)
        }
        logger.info("auth.mode", metadata: [
            "auth": "\(config.auth == nil ? "off" : "on")", "serving_auth": "\(servingAuth)",
            "rate_limits": "\(config.auth?.rateLimits.summary ?? "off")",
        ])
        try await buildApplication(config, services: services, logger: logger).runService()
    }
}

/// `slipway migrate`: bring the database schema up to date and exit.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending database migrations and exit.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await withServices(store) { _ in print("database is up to date") }
    }
}
