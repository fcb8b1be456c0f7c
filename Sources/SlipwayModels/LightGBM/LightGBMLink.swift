import Foundation

extension LightGBMModel {
    /// How raw scores become predictions, as LightGBM's objective `ConvertOutput`, decided once per model.
    enum Link: Sendable {
        case identity, sigmoid(Double), exponential, softmax, oneVsRest(Double)

        init(objective: String, sigmoid: Double) {
            switch objective {
            case "binary": self = .sigmoid(sigmoid)
            case "cross_entropy", "xentropy": self = .sigmoid(1)
            case "multiclass", "softmax": self = .softmax
            case "multiclassova", "multiclass_ova", "ova", "ovr": self = .oneVsRest(sigmoid)
            case "poisson", "gamma", "tweedie": self = .exponential
            default: self = .identity
            }
        }

        var outputKind: OutputKind {
            switch self {
            case .sigmoid: return .probability
            case .softmax, .oneVsRest: return .classProbabilities
            case .identity, .exponential: return .value
            }
        }

        /// Writes one row's predictions (one value, or one per class) from its raw scores.
        @inline(__always)
        func apply(_ scores: UnsafePointer<Double>, slots: Int, to out: UnsafeMutablePointer<Double>) {
            switch self {
            case .identity: out[0] = scores[0]
            case .sigmoid(let scale): out[0] = 1 / (1 + exp(-scale * scores[0]))
            case .exponential: out[0] = exp(scores[0])
            case .softmax:
                var top = scores[0]
                for k in 1..<max(slots, 1) where scores[k] > top { top = scores[k] }
                var sum = 0.0
                for k in 0..<slots { sum += exp(scores[k] - top) }
                for k in 0..<slots { out[k] = exp(scores[k] - top) / sum }
            case .oneVsRest(let scale):
                for k in 0..<slots { out[k] = 1 / (1 + exp(-scale * scores[k])) }
            }
        }
    }
}
