import ArgumentParser
import SlipwayModels

/// `--python PATH`: the interpreter that serves models Slipway cannot read natively, through
/// worker processes (docs/models.md). Without it such models are refused with the reason.
struct PythonOptions: ParsableArguments {
    @Option(name: .customLong("python"), help: "A Python interpreter with mlflow and the models' libraries, for models Slipway cannot serve natively.")
    var interpreter: String?
    @Option(name: .customLong("python-workers"), help: "Python worker processes per model version.") var workers = 2
    @Option(name: .customLong("python-timeout"), help: "Seconds a batch may take in a Python worker before the worker is replaced.") var timeout = 30.0

    /// Sets this process's Python runtime; a bad value is a message and exit code 1.
    func apply() throws {
        guard let interpreter else { return }
        do {
            PythonRuntime.configured = try PythonRuntime(interpreter: interpreter, workers: workers, timeoutSeconds: timeout)
        } catch {
            printError(error.message)
            throw ExitCode(1)
        }
    }
}
