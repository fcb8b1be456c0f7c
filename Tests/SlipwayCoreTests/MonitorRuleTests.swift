import SlipwayCore
import Testing

@Suite("Monitoring rules")
struct MonitorRuleTests {
    @Test("A rule reads from JSON with defaults and writes back the same settings")
    func roundTrip() throws {
        let rule = try MonitorRule(
            json: try JSONParser.parse(#"{"model": "churn", "drift_share": 0.5, "reference": "holdout@1", "metric": "rmse", "max": 1.2, "on_breach": "job:retrain"}"#),
            name: "guard", at: 7)
        #expect(rule.name == "guard" && rule.window == "1d" && rule.minLabeled == 100 && rule.minRows == 100)
        #expect(rule.action == .job("retrain") && rule.actor == "monitor:guard" && rule.windowMilliseconds == 86_400_000)
        let again = try MonitorRule(json: rule.json, at: 7)
        #expect(again == rule)
    }

    @Test("Rules that check nothing, or check it badly, are refused with the field named")
    func refused() throws {
        let cases: [(String, String)] = [
            (#"{"model": "m"}"#, "checks drift"),
            (#"{"model": "m", "drift_share": 0}"#, "drift_share"),
            (#"{"model": "m", "drift_share": 1.5}"#, "drift_share"),
            (#"{"model": "m", "metric": "rmse"}"#, "needs a bound"),
            (#"{"model": "m", "metric": "vibes", "max": 1}"#, "Unknown metric"),
            (#"{"model": "m", "max": 1, "drift_share": 0.5}"#, "name it with 'metric'"),
            (#"{"model": "m", "drift_share": 0.5, "window": "soon"}"#, "window"),
            (#"{"model": "m", "drift_share": 0.5, "on_breach": "panic"}"#, "on_breach"),
            (#"{"model": "m", "drift_share": 0.5, "min_labeled": 0}"#, "min_labeled"),
            (#"{"model": "m", "drift_share": 0.5, "colour": "red"}"#, "Unknown rule field 'colour'"),
            (#"{"drift_share": 0.5}"#, "'model' is required"),
            (#"{"model": "m", "drift_share": 0.5, "reference": "holdout@x"}"#, "holdout@x"),
        ]
        for (text, message) in cases {
            do {
                _ = try MonitorRule(json: try JSONParser.parse(text), name: "r", at: 0)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.message.contains(message), "\(text): \(error.message)")
            }
        }
        #expect(throws: SlipwayError.self) { try MonitorRule(json: try JSONParser.parse(#"{"model": "m", "drift_share": 0.5}"#), name: "bad name", at: 0) }
    }

    @Test("A breach is reported once: later breaches keep it, only a check that sees everything within bounds clears it")
    func outcomes() {
        typealias O = RuleCheck.Outcome
        #expect(O.of(state: .ok, breached: true, conclusive: false) == .breached)
        #expect(O.of(state: .ok, breached: false, conclusive: true) == .ok)
        #expect(O.of(state: .ok, breached: false, conclusive: false) == .inconclusive)
        #expect(O.of(state: .breached, breached: true, conclusive: true) == .stillBreached)
        #expect(O.of(state: .breached, breached: false, conclusive: false) == .stillBreached)
        #expect(O.of(state: .breached, breached: false, conclusive: true) == .cleared)
        #expect(O.breached.state(from: .ok) == .breached && O.cleared.state(from: .breached) == .ok)
        #expect(O.inconclusive.state(from: .ok) == .ok && O.stillBreached.state(from: .breached) == .breached)
    }

    @Test("Drift breaches at the share threshold, as Evidently's dataset drift; a metric beyond either bound breaches")
    func thresholds() {
        let drift = RuleCheck.Drift(reference: "h@1", share: 0.5, threshold: 0.5, columns: 4, driftedColumns: ["a", "b"], rows: 100, reportID: "x")
        #expect(drift.breached)
        #expect(!RuleCheck.Drift(reference: "h@1", share: 0.25, threshold: 0.5, columns: 4, driftedColumns: ["a"], rows: 100, reportID: "x").breached)
        #expect(RuleCheck.Performance(metric: "rmse", value: 1.3, maximum: 1.2, minimum: nil, predictions: 10, labeled: 8).breached)
        #expect(!RuleCheck.Performance(metric: "rmse", value: 1.2, maximum: 1.2, minimum: nil, predictions: 10, labeled: 8).breached)
        #expect(RuleCheck.Performance(metric: "accuracy", value: 0.7, maximum: nil, minimum: 0.8, predictions: 10, labeled: 8).breached)
        var check = RuleCheck(rule: "guard", model: "m", version: 2, at: 0, since: 0, until: 1)
        check.drift = drift
        check.outcome = .breached
        #expect(check.breached && check.summary.hasPrefix("breached (m v2): drift share 0.5 >= 0.5 (2 of 4 columns drifted: a, b; 100 rows against h@1)"))
    }
}
