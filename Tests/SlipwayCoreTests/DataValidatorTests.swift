import SlipwayCore
import Testing

@Suite("Data validation against a schema")
struct DataValidatorTests {
    @Test("Timestamps: RFC 3339, a date and time read as UTC, epoch seconds and milliseconds")
    func timestamps() {
        let noon = WallClock.milliseconds(rfc3339: "2026-12-04T12:00:00Z")!
        #expect(DataValidator.timestamp("2026-12-04T12:00:00Z") == noon)
        #expect(DataValidator.timestamp("2026-12-04 12:00:00") == noon)
        #expect(DataValidator.timestamp("2026-12-04 12:00") == noon)
        #expect(DataValidator.timestamp("2026-12-04") == noon - 12 * 3_600_000)
        #expect(DataValidator.timestamp(String(noon / 1000)) == noon && DataValidator.timestamp(String(noon)) == noon)
        #expect(DataValidator.timestamp("noon") == nil)
    }

    @Test("A schema reads back as it was written, and the rules a table breaks are counted per rule")
    func rules() throws {
        let json = try JSONParser.parse(#"{"columns": {"id": {"type": "integer", "unique": true}, "city": {"allowed": ["a", "b"]}}, "rows": {"max": 2}}"#)
        let schema = try ValidationSchema(json: json)
        #expect(try ValidationSchema(json: schema.json) == schema)
        var validator = DataValidator(schema: schema, header: ["id", "city"], now: 0)
        for row in [["1", "a"], ["1", "c"], ["2.5", "c"]] { validator.add(row) }
        let report = validator.finish(source: "t.csv")
        #expect(report.violations.map(\.rule) == ["id.unique", "city.allowed", "id.type", "rows.max"])
        #expect(report.violations[1].count == 2 && report.violations[1].samples.map(\.row) == [2, 3])
        #expect(!report.passed && report.rows == 3)
    }
}
