/// A machine-readable error code, spelled as MLflow spells it on the wire (`error_code`).
///
/// A `RawRepresentable` struct rather than an enum, so that codes can be added without breaking
/// callers (like GRDB's `ResultCode`). Each code knows the HTTP status MLflow answers it with
/// (`mlflow/exceptions.py`): `RESOURCE_ALREADY_EXISTS` is 400, not 409.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let invalidParameterValue = ErrorCode(rawValue: "INVALID_PARAMETER_VALUE")
    public static let resourceAlreadyExists = ErrorCode(rawValue: "RESOURCE_ALREADY_EXISTS")
    public static let resourceDoesNotExist = ErrorCode(rawValue: "RESOURCE_DOES_NOT_EXIST")
    public static let badRequest = ErrorCode(rawValue: "BAD_REQUEST")
    public static let endpointNotFound = ErrorCode(rawValue: "ENDPOINT_NOT_FOUND")
    public static let permissionDenied = ErrorCode(rawValue: "PERMISSION_DENIED")
    public static let unauthenticated = ErrorCode(rawValue: "UNAUTHENTICATED")
    public static let resourceConflict = ErrorCode(rawValue: "RESOURCE_CONFLICT")
    public static let requestLimitExceeded = ErrorCode(rawValue: "REQUEST_LIMIT_EXCEEDED")
    public static let internalError = ErrorCode(rawValue: "INTERNAL_ERROR")
    public static let invalidState = ErrorCode(rawValue: "INVALID_STATE")
    public static let notImplemented = ErrorCode(rawValue: "NOT_IMPLEMENTED")
    public static let temporarilyUnavailable = ErrorCode(rawValue: "TEMPORARILY_UNAVAILABLE")

    public var description: String { rawValue }

    /// The HTTP status MLflow's server sends for this code.
    public var httpStatus: Int {
        switch rawValue {
        case "INVALID_PARAMETER_VALUE", "RESOURCE_ALREADY_EXISTS", "BAD_REQUEST", "INVALID_REQUEST":
            return 400
        case "RESOURCE_DOES_NOT_EXIST", "ENDPOINT_NOT_FOUND", "NOT_FOUND":
            return 404
        case "PERMISSION_DENIED": return 403
        case "UNAUTHENTICATED", "CUSTOMER_UNAUTHORIZED": return 401
        case "ALREADY_EXISTS", "ABORTED", "RESOURCE_CONFLICT": return 409
        case "REQUEST_LIMIT_EXCEEDED", "RESOURCE_EXHAUSTED": return 429
        case "NOT_IMPLEMENTED": return 501
        case "TEMPORARILY_UNAVAILABLE": return 503
        default: return 500
        }
    }

    /// MLflow's `error_class`, sent beside `error_code`.
    public var errorClass: String {
        switch rawValue {
        case "RESOURCE_DOES_NOT_EXIST", "NOT_FOUND": return "RESOURCE_NOT_FOUND"
        default: return rawValue
        }
    }
}

/// The one error type of Slipway's domain: a code and a message for people.
///
/// Stores, services and parsers throw it; the HTTP layer turns it into MLflow's error JSON and
/// the CLI into a message and a non-zero exit.
public struct SlipwayError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func invalidParameter(_ message: String) -> SlipwayError {
        SlipwayError(.invalidParameterValue, message)
    }

    public static func notFound(_ message: String) -> SlipwayError {
        SlipwayError(.resourceDoesNotExist, message)
    }

    public static func alreadyExists(_ message: String) -> SlipwayError {
        SlipwayError(.resourceAlreadyExists, message)
    }
}
