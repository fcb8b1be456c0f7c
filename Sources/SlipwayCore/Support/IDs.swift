import Synchronization

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

    /// 32 hex digits that sort by `time` (milliseconds), then by creation order within this process:
    /// 12 digits of time, 4 of a counter, 16 random. Events made together list in the order made.
    public static func timeOrdered(_ time: Int64) -> String {
        let count = sequence.add(1, ordering: .relaxed).newValue & 0xFFFF
        let head = hex(UInt64(max(time, 0)) << 16 | UInt64(count))
        var generator = SystemRandomNumberGenerator()
        return head + hex(generator.next() as UInt64)
    }

    private static let sequence = Atomic<UInt64>(0)
    public static func loggedModelID() -> String { "m-" + hex32() }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
