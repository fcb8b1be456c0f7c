import SlipwayCore
import Testing

@Suite("Promotion decision")
struct PromotionDecisionTests {
    /// A fixed test clock: "now" is day 100.
    let now: Int64 = 100 * PromotionPolicy.day
    let policy = PromotionPolicy(modelName: "churn", metric: "test_mae")

    func version(_ v: Int, _ value: Double?, daysAgo: Double = 1, status: String = "FINISHED", stage: ModelStage = .none, tags: [KeyValue] = []) -> PromotionCandidate {
        PromotionCandidate(
            version: v, runID: "r\(v)", registeredAt: now - Int64(daysAgo * Double(PromotionPolicy.day)), stage: stage, runStatus: status,
            tags: tags, value: value)
    }

    func decide(_ versions: [PromotionCandidate], champion: Int?, policy: PromotionPolicy? = nil) -> PromotionDecision {
        PromotionDecider.decide(policy: policy ?? self.policy, versions: versions, champion: champion, now: now)
    }

    @Test("No production version: the best candidate is promoted")
    func noChampion() {
        let d = decide([version(1, 0.40), version(2, 0.35), version(3, 0.50)], champion: nil)
        #expect(d.action == .promote && d.challenger == 2 && d.challengerValue == 0.35 && d.champion == nil)
        #expect(d.reasons.last!.contains("No version is in production"))
        #expect(d.considered.map(\.version) == [3, 2, 1] && d.considered[1].note == "best candidate")
    }

    @Test("Better by the threshold: promote; by less, or worse, or equal: stage")
    func threshold() {
        let promote = decide([version(1, 0.40), version(2, 0.37)], champion: 1)  // 7.5% better
        #expect(promote.action == .promote && promote.challenger == 2 && promote.champion == 1 && promote.championValue == 0.40)
        #expect(abs(promote.improvement! - 0.075) < 1e-12)
        #expect(promote.reasons.last!.contains("7.5% better, at least the 5% required"))
        #expect(promote.considered.first { $0.version == 1 }?.note == "champion (production)")

        let small = decide([version(1, 0.40), version(2, 0.39)], champion: 1)  // 2.5%
        #expect(small.action == .stage && small.challenger == 2)
        #expect(small.reasons.last!.contains("less than the 5% required"))

        let worse = decide([version(1, 0.40), version(2, 0.45)], champion: 1)
        #expect(worse.action == .stage && worse.reasons.last!.contains("worse than the champion"))

        let equal = decide([version(1, 0.40), version(2, 0.40)], champion: 1, policy: PromotionPolicy(modelName: "churn", metric: "test_mae", minimumImprovement: .relative(0)))
        #expect(equal.action == .stage && equal.reasons.last!.contains("equal to the champion"))

        let exactly = decide([version(1, 0.5), version(2, 0.475)], champion: 1)  // exactly 5%
        #expect(exactly.action == .promote)
        #expect(decide([version(1, 0.4), version(2, 0.38)], champion: 1).action == .promote)  // 0.02 / 0.4 is 0.04999999999999993 in binary
    }

    @Test("Ties between candidates go to the newest version, and say so")
    func ties() {
        let d = decide([version(1, 0.3), version(2, 0.3), version(3, 0.5)], champion: nil)
        #expect(d.challenger == 2 && d.reasons[0].contains("Tied with v1"))
    }

    @Test("Missing metrics: candidates without it are skipped; a champion without it is not replaced")
    func missingMetrics() {
        let none = decide([version(1, nil), version(2, .nan)], champion: nil)
        #expect(none.action == .none && none.challenger == nil)
        #expect(none.considered.map(\.note) == ["test_mae is nan", "run logged no test_mae"])

        let blindChampion = decide([version(1, nil), version(2, 0.2)], champion: 1)
        #expect(blindChampion.action == .stage && blindChampion.challenger == 2)
        #expect(blindChampion.reasons.last!.contains("Champion v1 has no test_mae"))

        let goneChampion = decide([version(2, 0.2)], champion: 7)
        #expect(goneChampion.action == .promote && goneChampion.reasons.last!.contains("v7, which is gone"))
    }

    @Test("Lookback window, run status, required tags and archived versions filter candidates")
    func eligibility() {
        let tagged = PromotionPolicy(modelName: "churn", metric: "test_mae", requiredTags: [KeyValue(key: "validated", value: "true")])
        let d = decide([
            version(1, 0.10, daysAgo: 8), version(2, 0.11, status: "RUNNING"), version(3, 0.12, stage: .archived),
            version(4, 0.13, tags: [KeyValue(key: "validated", value: "false")]), version(5, 0.14, tags: [KeyValue(key: "validated", value: "true")]),
        ], champion: nil, policy: tagged)
        #expect(d.challenger == 5)
        let notes = Dictionary(uniqueKeysWithValues: d.considered.map { ($0.version, $0.note) })
        #expect(notes[1] == "registered 8 days ago, outside the window")
        #expect(notes[2] == "run is RUNNING, not FINISHED")
        #expect(notes[3] == "archived")
        #expect(notes[4] == "lacks tag validated=true")
        #expect(notes[5] == "best candidate")

        let allOld = decide([version(1, 0.2), version(2, 0.1, daysAgo: 30)], champion: 1)
        #expect(allOld.action == .none && allOld.reasons[0].contains("7-day window"))
    }

    @Test("Approval mode stages a winner instead of promoting it")
    func approval() {
        let approval = PromotionPolicy(modelName: "churn", metric: "test_mae", mode: .approval)
        #expect(decide([version(1, 0.4), version(2, 0.2)], champion: 1, policy: approval).action == .awaitApproval)
        #expect(decide([version(2, 0.2)], champion: nil, policy: approval).action == .awaitApproval)
        #expect(decide([version(1, 0.4), version(2, 0.39)], champion: 1, policy: approval).action == .stage)
    }

    @Test("Higher-is-better metrics, absolute thresholds, and a champion at zero")
    func directionsAndUnits() {
        let accuracy = PromotionPolicy(modelName: "churn", metric: "val_accuracy")
        #expect(accuracy.direction == .higher)
        #expect(decide([version(1, 0.80), version(2, 0.85), version(3, 0.70)], champion: 1, policy: accuracy).action == .promote)
        #expect(decide([version(1, 0.80), version(2, 0.83)], champion: 1, policy: accuracy).action == .stage)  // 3.75%

        let absolute = PromotionPolicy(modelName: "churn", metric: "val_accuracy", minimumImprovement: .absolute(0.02))
        let d = decide([version(1, 0.80), version(2, 0.83)], champion: 1, policy: absolute)
        #expect(d.action == .promote && abs(d.improvement! - 0.03) < 1e-12)

        let zero = decide([version(1, 0.0), version(2, 0.1)], champion: 1, policy: accuracy)
        #expect(zero.action == .promote && zero.improvement == .infinity && zero.reasons.last!.contains("champion is 0"))
        #expect(decide([version(1, 0.0), version(2, 0.0)], champion: 1, policy: accuracy).action == .stage)
    }

    @Test("Default directions from metric names")
    func defaultDirections() {
        for name in ["test_mae", "rmse", "val_loss", "log_loss", "MAPE", "error_rate", "mse"] {
            #expect(PromotionPolicy.defaultDirection(for: name) == .lower, "\(name)")
        }
        for name in ["accuracy", "test_r2", "roc_auc", "f1", "precision", "recall"] {
            #expect(PromotionPolicy.defaultDirection(for: name) == .higher, "\(name)")
        }
    }

    @Test("Policies refuse nonsense")
    func validation() {
        #expect(throws: SlipwayError.self) { try PromotionPolicy(modelName: "m", metric: "").validate() }
        #expect(throws: SlipwayError.self) { try PromotionPolicy(modelName: "m", metric: "x", minimumImprovement: .relative(-1)).validate() }
        #expect(throws: SlipwayError.self) { try PromotionPolicy(modelName: "m", metric: "x", minimumImprovement: .absolute(.nan)).validate() }
        #expect(throws: SlipwayError.self) { try PromotionPolicy(modelName: "m", metric: "x", lookbackMilliseconds: 0).validate() }
    }
}
