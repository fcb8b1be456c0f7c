public import Hummingbird
public import SlipwayCore
public import SlipwayHTTP
public import SlipwayServing
public import SlipwayStore

/// Everything `slipway server` needs, as one value. Only the CLI reads argv and the environment
/// to build it; tests build it directly.
public struct AppConfiguration: Sendable {
    /// Address to bind.
    public var host: String
    public var port: Int
    /// Holds the SQLite database (`slipway.db`) and the artifact store (`artifacts/`).
    public var dataDirectory: String
    /// `postgres://user:pass@host:port/db` to use PostgreSQL instead of the embedded SQLite.
    public var databaseURL: String?
    /// Keep the database in memory (tests); artifacts still go under `dataDirectory`.
    public var inMemoryDatabase: Bool
    /// Largest JSON request body accepted, in bytes.
    public var maxRequestBodyBytes: Int
    /// Largest single artifact file accepted, in bytes.
    public var maxArtifactBytes: Int64
    /// Models to serve (`--model NAME@ALIAS`); the first is the default of `/predict`.
    public var servedModels: [ServingTarget] = []
    /// Most rows one prediction request may carry.
    public var maxBatchRows = 10_000
    /// How often the model host re-reads aliases when nothing signalled a change (other processes' writes).
    public var servingPollInterval: Duration = .milliseconds(500)
    /// The first webhook retry waits this long; each next one twice as long (up to 5 minutes).
    public var webhookRetryBaseMilliseconds: Int64 = 1000
    /// The fraction of prediction requests the prediction log keeps (0 turns it off).
    public var predictionLogSample: Double = 1
    /// Served predictions older than this many days are pruned; `nil` keeps them all.
    public var predictionLogRetentionDays: Int? = 30
    /// Served predictions waiting to be written at most; beyond it they are dropped and counted.
    public var predictionLogQueueCapacity = 100_000
    /// Authentication: nil serves everyone (`slipway server` on loopback without `--auth`, or with
    /// `--insecure-no-auth`); set, every route but `/health` and `/ready` needs a token.
    public var auth: AuthSettings?
    /// HTTPS: the certificate and key to serve with (`--tls-cert`/`--tls-key`); nil serves plain HTTP.
    public var tls: TLSFiles?
    /// The environment command jobs inherit (the CLI passes its own).
    public var jobEnvironment: [String: String] = [:]
    /// Where artifacts go instead of `dataDirectory/artifacts`: `s3://bucket/prefix` (credentials,
    /// region and endpoint from `storageEnvironment`) or a directory.
    public var artifactsDestination: String?
    /// The environment S3 settings are read from (the CLI passes its own).
    public var storageEnvironment: [String: String] = [:]
    /// Whether opening checks that the bucket answers to the credentials (a server, before it starts).
    public var checkArtifactStorage = false
    /// Jobs one process runs at once (`--max-concurrent-jobs`).
    public var maxConcurrentJobs = 4
    /// How often a running job says it is alive; one silent for 6 of these is taken as abandoned.
    public var jobHeartbeat: Duration = .seconds(5)

    /// The URL command jobs log to (`MLFLOW_TRACKING_URI`): set by `slipway server` to itself; nil
    /// where no server runs (a job run by the command line on a store inherits the environment's).
    public var jobTrackingURI: String?

    /// This server's own URL, on loopback when it listens on every address.
    public var ownURL: String {
        let local = host == "0.0.0.0" || host == "::" || host.isEmpty ? "127.0.0.1" : host
        return "\(tls == nil ? "http" : "https")://\(local.contains(":") && !local.hasPrefix("[") ? "[\(local)]" : local):\(port)"
    }

    /// Whether `host` is a loopback address, where a server may run without auth by default.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    public init(
        host: String = "127.0.0.1", port: Int = 5000, dataDirectory: String = "./slipway-data", databaseURL: String? = nil,
        inMemoryDatabase: Bool = false, maxRequestBodyBytes: Int = 16 << 20, maxArtifactBytes: Int64 = 5 << 30
    ) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.databaseURL = databaseURL
        self.inMemoryDatabase = inMemoryDatabase
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.maxArtifactBytes = maxArtifactBytes
    }

    /// Sets the models to serve from `NAME@ALIAS` texts (`--model`).
    /// - Throws: `INVALID_PARAMETER_VALUE` for a malformed text or a model named twice.
    public mutating func serve(_ specs: [String]) throws(SlipwayError) {
        var targets: [ServingTarget] = []
        for spec in specs {
            let target = try ServingTarget(parsing: spec)
            guard !targets.contains(where: { $0.name == target.name }) else {
                throw .invalidParameter("Model '\(target.name)' is named twice: each --model must name a different registered model")
            }
            targets.append(target)
        }
        servedModels = targets
    }

    /// Which database the configuration names.
    public var database: DatabaseConfiguration {
        if let url = databaseURL, !url.isEmpty { return .postgres(url: url) }
        if inMemoryDatabase { return .sqliteMemory }
        return .sqliteFile(path: dataDirectory + "/slipway.db")
    }

    /// The directory of artifacts on disk: `dataDirectory/artifacts`, or a directory destination.
    public var artifactRoot: String {
        guard let destination = artifactsDestination, !destination.hasPrefix("s3://") else { return dataDirectory + "/artifacts" }
        return destination.hasPrefix("file://") ? String(destination.dropFirst("file://".count)) : destination
    }

    /// The S3 settings of an `s3://` destination; nil when artifacts are on disk.
    /// - Throws: `INVALID_PARAMETER_VALUE` for a malformed destination or missing credentials.
    public func s3Settings() throws(SlipwayError) -> S3Settings? {
        guard let destination = artifactsDestination, destination.hasPrefix("s3://") else { return nil }
        return try S3Settings(destination: destination, environment: storageEnvironment)
    }

    /// The request limits the routes enforce.
    public var limits: RequestLimits {
        RequestLimits(bodyBytes: maxRequestBodyBytes, artifactBytes: maxArtifactBytes, batchRows: maxBatchRows)
    }

    /// Where the HTTP server listens.
    public var serverConfiguration: ApplicationConfiguration {
        ApplicationConfiguration(address: .hostname(host, port: port), serverName: "slipway")
    }
}
