import Foundation
public import SlipwayCore

/// Opens a model by its format: XGBoost (`*.json`, `*.ubj`), LightGBM text (`*.txt`), Slipway's
/// linear JSON (`*.json` with `"format": "slipway-linear"`), scikit-learn saved with skops
/// (`*.skops`), ONNX (`*.onnx`), or an MLflow model directory (an `MLmodel` file whose `xgboost`,
/// `lightgbm`, `sklearn` or `onnx` flavor names the model file).
public enum ModelLoader {
    /// - Throws: `INVALID_PARAMETER_VALUE` naming the file and what is wrong or unsupported.
    public static func load(path: String) throws(SlipwayError) -> any Predictor {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .invalidParameter("No model at '\(path)'")
        }
        if isDirectory.boolValue { return try loadMLflowDirectory(path) }
        let data = try contents(of: path)
        let lower = path.lowercased()
        if lower.hasSuffix(".json") {
            let root: JSONValue
            do {
                root = try JSONParser.parse(data)
            } catch {
                throw .invalidParameter("Model file '\(path)' is not valid JSON (\(error.message))")
            }
            if root["format"] != nil { return try LinearModel(document: root, source: path) }
            return try XGBoostModel(document: root, source: path)
        }
        if lower.hasSuffix(".ubj") { return try XGBoostModel(ubjson: data, source: path) }
        if lower.hasSuffix(".skops") { return try SklearnModel(skops: data, source: path) }
        if lower.hasSuffix(".onnx") { return try ONNXModel(bytes: data, source: path) }
        if lower.hasSuffix(".txt") || lower.hasSuffix(".lgb") {
            return try LightGBMModel(bytes: data, source: path)
        }
        throw .invalidParameter("Model file '\(path)' has a format Slipway does not read yet (supported: XGBoost *.json and *.ubj, LightGBM *.txt, slipway-linear *.json, scikit-learn *.skops, ONNX *.onnx, MLflow model directories)")
    }

    /// A model file's bytes, read straight into one array (model files run to hundreds of megabytes).
    static func contents(of path: String) throws(SlipwayError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .invalidParameter("Cannot read model file '\(path)': \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .invalidParameter("Cannot read model file '\(path)': \(String(cString: strerror(errno)))") }
        let size = Int(status.st_size)
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            // Huge pages where the kernel allows them on request: a few faults instead of one per 4 KiB.
            let huge = 2 << 20, start = (Int(bitPattern: buffer.baseAddress!) + huge - 1) & ~(huge - 1)
            if start + huge <= Int(bitPattern: buffer.baseAddress!) + size {
                _ = madvise(UnsafeMutableRawPointer(bitPattern: start), (Int(bitPattern: buffer.baseAddress!) + size - start) & ~(huge - 1), MADV_HUGEPAGE)
            }
            while count < size {
                let got = read(descriptor, buffer.baseAddress! + count, size - count)
                if got > 0 {
                    count += got
                } else if got == 0 || errno != EINTR {
                    failure = got == 0 ? EIO : errno
                    return
                }
            }
        }
        guard failure == 0 else { throw .invalidParameter("Cannot read model file '\(path)': \(String(cString: strerror(failure)))") }
        return bytes
    }

    /// An MLflow model directory: natively when its flavor allows, else through Python workers
    /// when an interpreter is configured (`PythonRuntime.configured`) and the model has a
    /// `python_function` flavor.
    static func loadMLflowDirectory(_ directory: String) throws(SlipwayError) -> any Predictor {
        do {
            return try loadNative(directory)
        } catch {
            guard let runtime = PythonRuntime.configured,
                  let text = try? String(contentsOfFile: directory + "/MLmodel", encoding: .utf8),
                  MLmodelFile(text: text).flavors["python_function"] != nil else { throw error }
            do {
                return try PythonPredictor(directory: directory, runtime: runtime)
            } catch let python {
                throw .invalidParameter("\(error.message); through Python: \(python.message)")
            }
        }
    }

    /// An MLflow model directory: the `lightgbm`, `xgboost`, `sklearn` or `onnx` flavor's model file.
    static func loadNative(_ directory: String) throws(SlipwayError) -> any Predictor {
        let mlmodel = directory + "/MLmodel"
        guard let text = try? String(contentsOfFile: mlmodel, encoding: .utf8) else {
            throw .invalidParameter("'\(directory)' is a directory without an MLmodel file")
        }
        let flavors = MLmodelFile(text: text)
        if let file = flavors.value(flavor: "lightgbm", key: "data") {
            guard !file.contains(".."), !file.hasPrefix("/") else {
                throw .invalidParameter("MLmodel in '\(directory)' names a model file outside its directory: '\(file)'")
            }
            return try load(path: directory + "/" + file)
        }
        if let file = flavors.value(flavor: "sklearn", key: "pickled_model") {
            let format = flavors.value(flavor: "sklearn", key: "serialization_format") ?? "pickle"
            guard format == "skops" else {
                throw .invalidParameter("MLmodel in '\(directory)' holds a scikit-learn model serialized with \(format), which only Python can read; log it with serialization_format=\"skops\" (MLflow's default) to serve it natively")
            }
            guard !file.contains(".."), !file.hasPrefix("/") else {
                throw .invalidParameter("MLmodel in '\(directory)' names a model file outside its directory: '\(file)'")
            }
            let bytes = try contents(of: directory + "/" + file)
            let predictFn = flavors.value(flavor: "python_function", key: "predict_fn") ?? "predict"
            return try SklearnModel(skops: bytes, source: directory + "/" + file, predictFn: predictFn)
        }
        guard let data = flavors.value(flavor: "xgboost", key: "data") ?? flavors.value(flavor: "onnx", key: "data") else {
            throw .invalidParameter("MLmodel in '\(directory)' has no xgboost, lightgbm, sklearn or onnx flavor Slipway can serve (flavors: \(flavors.flavorNames.joined(separator: ", ")))")
        }
        guard !data.contains(".."), !data.hasPrefix("/") else {
            throw .invalidParameter("MLmodel in '\(directory)' names a model file outside its directory: '\(data)'")
        }
        return try load(path: directory + "/" + data)
    }
}

/// The `flavors:` section of an MLflow `MLmodel` file, read as the two-level YAML map it is
/// (`flavors: / <flavor>: / <key>: <value>`); nothing else of YAML is needed.
struct MLmodelFile {
    var flavors: [String: [String: String]] = [:]
    var flavorNames: [String] = []

    init(text: String) {
        var inFlavors = false
        var current: String?
        for line in text.split(whereSeparator: \.isNewline) {
            let indent = line.prefix(while: { $0 == " " }).count
            let content = line.trimmingCharacters(in: .whitespaces)
            if content.isEmpty || content.hasPrefix("#") { continue }
            if indent == 0 {
                inFlavors = content == "flavors:"
                current = nil
                continue
            }
            guard inFlavors else { continue }
            if indent == 2, content.hasSuffix(":") {
                let name = String(content.dropLast())
                current = name
                flavorNames.append(name)
            } else if indent == 4, let flavor = current, let colon = content.firstIndex(of: ":") {
                let key = String(content[..<colon]).trimmingCharacters(in: .whitespaces)
                var value = String(content[content.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                if value.count >= 2, let first = value.first, first == "'" || first == "\"", value.last == first {
                    value = String(value.dropFirst().dropLast())
                }
                flavors[flavor, default: [:]][key] = value
            }
        }
    }

    func value(flavor: String, key: String) -> String? {
        flavors[flavor]?[key]
    }
}
