import Foundation
public import SlipwayCore

/// A linear model in Slipway's small JSON format (docs/runtime.md), written from scikit-learn's
/// `LinearRegression`, `Ridge`, `LogisticRegression`, `PoissonRegressor`... in two lines:
///
/// ```json
/// {"format": "slipway-linear", "link": "logistic", "feature_names": ["a", "b"],
///  "coefficients": [[0.5, -1.25]], "intercept": [0.1]}
/// ```
///
/// `coefficients` is one row per output (or a flat list for one output), `intercept` one number per
/// row (or a single number). Links: `identity` (regression), `logistic` (binary classification,
/// one row), `softmax` (multinomial, one row per class), `exp` (log-link GLMs).
public struct LinearModel: Predictor {
    public enum Link: String, Sendable, CaseIterable {
        case identity, logistic, softmax, exp
    }

    public let featureNames: [String]
    public let featureCount: Int
    public let link: Link
    /// Row-major, `outputs * featureCount`.
    let coefficients: [Double]
    let intercept: [Double]
    let outputs: Int

    public static let formatName = "slipway-linear"

    public var outputKind: OutputKind {
        switch link {
        case .identity, .exp: return .value
        case .logistic: return .probability
        case .softmax: return .classProbabilities
        }
    }

    public var outputsPerRow: Int { link == .softmax ? outputs : 1 }

    public init(featureNames: [String], coefficients: [[Double]], intercept: [Double], link: Link, source: String) throws(SlipwayError) {
        guard let width = coefficients.first?.count, width > 0 else { throw Self.error(source, "has no coefficients") }
        guard coefficients.allSatisfy({ $0.count == width }) else { throw Self.error(source, "has coefficient rows of different lengths") }
        guard featureNames.isEmpty || featureNames.count == width else {
            throw Self.error(source, "names \(featureNames.count) features but has \(width) coefficients per row")
        }
        guard intercept.count == coefficients.count else {
            throw Self.error(source, "has \(intercept.count) intercepts for \(coefficients.count) coefficient rows")
        }
        guard (coefficients.joined().allSatisfy(\.isFinite)) && intercept.allSatisfy(\.isFinite) else {
            throw Self.error(source, "has a coefficient or intercept that is not a finite number")
        }
        switch link {
        case .identity, .logistic, .exp:
            guard coefficients.count == 1 else {
                throw Self.error(source, "has \(coefficients.count) coefficient rows; the \(link.rawValue) link takes one (use softmax for several classes)")
            }
        case .softmax:
            guard coefficients.count >= 2 else { throw Self.error(source, "uses softmax with \(coefficients.count) row; it needs one row per class") }
        }
        self.featureNames = featureNames
        self.featureCount = width
        self.link = link
        self.coefficients = Array(coefficients.joined())
        self.intercept = intercept
        self.outputs = coefficients.count
    }

    /// Reads the JSON format above.
    public init(document root: JSONValue, source: String) throws(SlipwayError) {
        guard root["format"]?.stringValue == Self.formatName else { throw Self.error(source, "is not a \(Self.formatName) document") }
        let linkName = root["link"].map { $0.stringValue ?? "\($0)" } ?? "identity"
        guard let link = Link(rawValue: linkName) else {
            throw Self.error(source, "has link '\(linkName)' (supported: \(Link.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let rawRows = root["coefficients"]?.arrayValue else { throw Self.error(source, "has no 'coefficients' list") }
        let rows: [[JSONValue]] = rawRows.first?.arrayValue != nil ? rawRows.map { $0.arrayValue ?? [] } : [rawRows]
        let coefficients = try rows.map { row throws(SlipwayError) in try Self.numbers(row, "coefficients", source) }
        let intercept: [Double]
        switch root["intercept"] {
        case .number(let value)?: intercept = [value]
        case .array(let items)?: intercept = try Self.numbers(items, "intercept", source)
        case nil: intercept = [Double](repeating: 0, count: coefficients.count)
        default: throw Self.error(source, "has an 'intercept' that is neither a number nor a list")
        }
        var names: [String] = []
        if let items = root["feature_names"]?.arrayValue {
            for item in items {
                guard let name = item.stringValue else { throw Self.error(source, "has a feature name that is not a string") }
                names.append(name)
            }
        }
        try self.init(featureNames: names, coefficients: coefficients, intercept: intercept, link: link, source: source)
    }

    public func predict(_ features: FeatureMatrix, threads: Int) throws(SlipwayError) -> [Double] {
        try checkWidth(features)
        if let missing = features.values.firstIndex(where: \.isNaN) {
            let column = missing % featureCount
            let name = featureNames.isEmpty ? "\(column)" : "'\(featureNames[column])'"
            throw .invalidParameter("Row \(missing / featureCount + 1) is missing feature \(name); a linear model needs every feature")
        }
        let width = outputsPerRow, columns = featureCount, outputs = outputs
        return BatchEvaluation.predict(features, width: width, threads: threads, scratch: { ScratchBuffer<Double>(count: outputs, repeating: 0) }) {
            scratch, input, count, output in
            let sums = scratch.pointer
            coefficients.withUnsafeBufferPointer { weights in
                for r in 0..<count {
                    let row = input + r * columns, out = output + r * width
                    for k in 0..<outputs {
                        var sum = intercept[k]
                        let w = weights.baseAddress! + k * columns
                        for c in 0..<columns { sum += w[c] * row[c] }
                        sums[k] = sum
                    }
                    switch link {
                    case .identity: out[0] = sums[0]
                    case .exp: out[0] = Foundation.exp(sums[0])
                    case .logistic: out[0] = 1 / (1 + Foundation.exp(-sums[0]))
                    case .softmax:
                        var top = sums[0]
                        for k in 1..<outputs where sums[k] > top { top = sums[k] }
                        var total = 0.0
                        for k in 0..<outputs { total += Foundation.exp(sums[k] - top) }
                        for k in 0..<outputs { out[k] = Foundation.exp(sums[k] - top) / total }
                    }
                }
            }
        }
    }

    public var summary: ModelSummary {
        var details = [("link", link.rawValue)]
        if outputs > 1 { details.append(("classes", "\(outputs)")) }
        return ModelSummary(
            format: "linear", objective: link.rawValue, featureNames: featureNames, featureCount: featureCount,
            outputKind: outputKind, outputsPerRow: outputsPerRow, trees: 0, details: details)
    }

    static func numbers(_ items: [JSONValue], _ name: String, _ source: String) throws(SlipwayError) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .number(let value) = item else { throw error(source, "has a non-number in '\(name)'") }
            out.append(value)
        }
        return out
    }

    static func error(_ source: String, _ what: String) -> SlipwayError {
        .invalidParameter("Linear model '\(source)' \(what)")
    }
}
