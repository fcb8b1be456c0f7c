extension PromotionDecision {
    /// The decision as the API returns it and the audit log keeps it.
    public var json: JSONValue {
        func number(_ x: Double?) -> JSONValue {
            guard let x else { return .null }
            return x.isFinite ? .number(x) : .string(String(x))
        }
        func version(_ v: Int?) -> JSONValue { v.map { .string(String($0)) } ?? .null }
        return .object([
            ("model", .string(model)), ("action", .string(action.rawValue)), ("metric", .string(metric)), ("direction", .string(direction.rawValue)),
            ("champion", version(champion)), ("champion_value", number(championValue)),
            ("challenger", version(challenger)), ("challenger_value", number(challengerValue)), ("improvement", number(improvement)),
            ("reasons", .array(reasons.map { .string($0) })),
            ("considered", .array(considered.map { row in
                .object([("version", .string(String(row.version))), ("value", number(row.value)), ("eligible", .bool(row.eligible)), ("note", .string(row.note))])
            })),
            ("decided_at", .int(decidedAt)),
        ])
    }
}
