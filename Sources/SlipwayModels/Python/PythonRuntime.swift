public import SlipwayCore
import Synchronization

/// The Python that serves what Slipway cannot read natively: an interpreter with mlflow and the
/// model's libraries, how many worker processes each model gets, and how long one batch may take.
public struct PythonRuntime: Sendable {
    public var interpreter: String
    public var workers: Int
    /// Seconds a batch may take before its worker is killed and replaced.
    public var timeoutSeconds: Double
    /// Seconds a worker may take to load its model.
    public var loadTimeoutSeconds: Double

    public init(interpreter: String, workers: Int = 2, timeoutSeconds: Double = 30, loadTimeoutSeconds: Double = 120) throws(SlipwayError) {
        guard workers >= 1, workers <= 64 else { throw .invalidParameter("--python-workers must be 1 to 64, got \(workers)") }
        guard timeoutSeconds > 0, loadTimeoutSeconds > 0 else { throw .invalidParameter("Python timeouts must be positive") }
        self.interpreter = interpreter
        self.workers = workers
        self.timeoutSeconds = timeoutSeconds
        self.loadTimeoutSeconds = loadTimeoutSeconds
    }

    /// This process's runtime, set once from the command line (`--python`); `nil`: models that
    /// need Python are refused with the reason.
    public static var configured: PythonRuntime? {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }

    private static let current = Mutex<PythonRuntime?>(nil)
}
