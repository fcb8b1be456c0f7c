/// Ids in MLflow's shapes: runs are 32 lowercase hex digits, logged models `m-` + 32 hex.
public enum IDGenerator {
    /// 32 lowercase hex digits from 128 random bits.
    public static func hex32() -> String {
        var generator = SystemRandomNumberGenerator()
        let a = generator.next() as UInt64
        let b = generator.next() as UInt64
        return hex(a) + hex(b)
    }

    public static func runID() -> String { hex32() }
    public static func loggedModelID() -> String { "m-" + hex32() }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
