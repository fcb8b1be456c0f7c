public import SlipwayCore

/// A model to serve: a registered model and the alias it follows (`churn@production`).
public struct ServingTarget: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var alias: String

    public init(name: String, alias: String) {
        self.name = name
        self.alias = alias
    }

    /// `NAME@ALIAS`, or `NAME` for `NAME@production`.
    /// - Throws: `INVALID_PARAMETER_VALUE` for an empty name or alias.
    public init(parsing text: String) throws(SlipwayError) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let name = parts[0], alias = parts.count > 1 ? parts[1] : "production"
        guard !name.isEmpty, !alias.isEmpty else {
            throw .invalidParameter("'\(text)' is not a model to serve: write NAME@ALIAS, e.g. churn@production")
        }
        self.init(name: name, alias: alias)
    }

    public var description: String { "\(name)@\(alias)" }
}
