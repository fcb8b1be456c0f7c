import Foundation

extension XGBoostModel {
    /// How margins become predictions, as XGBoost's `PredTransform`, decided once per model.
    enum Link: Sendable {
        case identity, logistic, exponential, hinge, softmax, argmax

        init(objective: String) {
            switch objective {
            case "reg:logistic", "binary:logistic": self = .logistic
            case "count:poisson", "reg:gamma", "reg:tweedie": self = .exponential
            case "binary:hinge": self = .hinge
            case "multi:softprob": self = .softmax
            case "multi:softmax": self = .argmax
            default: self = .identity
            }
        }

        var outputKind: OutputKind {
            switch self {
            case .logistic: return .probability
            case .softmax: return .classProbabilities
            case .argmax: return .classIndex
            case .identity, .exponential, .hinge: return .value
            }
        }

        /// Writes one row's predictions (one value, or one per group for softmax) from its margins.
        @inline(__always)
        func apply(_ margins: UnsafePointer<Float>, groups: Int, to out: UnsafeMutablePointer<Double>) {
            switch self {
            case .identity: out[0] = Double(margins[0])
            case .logistic: out[0] = Double(1 / (1 + expf(-margins[0])))
            case .exponential: out[0] = Double(expf(margins[0]))
            case .hinge: out[0] = margins[0] > 0 ? 1 : 0
            case .softmax:
                var top = margins[0]
                for g in 1..<max(groups, 1) where margins[g] > top { top = margins[g] }
                var sum: Float = 0
                for g in 0..<groups { sum += expf(margins[g] - top) }
                for g in 0..<groups { out[g] = Double(expf(margins[g] - top) / sum) }
            case .argmax:
                var best = 0
                for g in 0..<groups where margins[g] > margins[best] { best = g }
                out[0] = Double(best)
            }
        }
    }
}
