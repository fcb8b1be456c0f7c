import Foundation

/// A registered version as the promotion decision sees it.
public struct PromotionCandidate: Sendable, Hashable {
    public var version: Int
    public var runID: String
    /// When the version was registered, in milliseconds since the Unix epoch.
    public var registeredAt: Int64
    public var stage: ModelStage
    /// The run's status (`FINISHED`, `RUNNING`, `FAILED`, ...).
    public var runStatus: String
    /// The version's tags and its run's tags.
    public var tags: [KeyValue]
    /// The policy's metric as the run logged it last (or as the evaluation computed it); `nil` when there is none.
    public var value: Double?
    /// Why there is no value, when it is known (the evaluation failed, and how); shown instead of "run logged no ...".
    public var missingValue: String?

    public init(
        version: Int, runID: String, registeredAt: Int64, stage: ModelStage = .none, runStatus: String = "FINISHED", tags: [KeyValue] = [],
        value: Double?, missingValue: String? = nil
    ) {
        self.version = version
        self.runID = runID
        self.registeredAt = registeredAt
        self.stage = stage
        self.runStatus = runStatus
        self.tags = tags
        self.value = value
        self.missingValue = missingValue
    }
}

/// What a policy decided, and why, in words and in a table of every version it looked at.
public struct PromotionDecision: Sendable, Hashable {
    public enum Action: String, Sendable {
        /// The challenger becomes `production`; the champion is archived and kept as `previous`.
        case promote
        /// The challenger won but the policy wants a person: it is staged until `slipway approve`.
        case awaitApproval = "await_approval"
        /// The challenger did not beat the champion by enough (or could not be compared): it becomes `staging`.
        case stage
        /// Nothing to do: no eligible candidate.
        case none
    }

    /// One version considered.
    public struct Row: Sendable, Hashable {
        public var version: Int
        public var value: Double?
        public var eligible: Bool
        /// Why it is or is not a candidate (`champion`, `best`, `outside the 7-day window`, ...).
        public var note: String
    }

    public var model: String
    public var metric: String
    public var direction: PromotionPolicy.Direction
    public var action: Action
    public var champion: Int?
    public var championValue: Double?
    public var challenger: Int?
    public var challengerValue: Double?
    /// How much better the challenger is, in the threshold's unit (a fraction for relative thresholds).
    public var improvement: Double?
    public var reasons: [String]
    public var considered: [Row]
    public var decidedAt: Int64
}

/// The promotion decision: a pure function of the policy, the versions and the champion.
public enum PromotionDecider {
    public static func decide(policy: PromotionPolicy, versions: [PromotionCandidate], champion: Int?, now: Int64) -> PromotionDecision {
        let metric = policy.metric
        var decision = PromotionDecision(
            model: policy.modelName, metric: metric, direction: policy.direction, action: .none, champion: champion,
            championValue: nil, challenger: nil, challengerValue: nil, improvement: nil, reasons: [], considered: [], decidedAt: now)
        let championCandidate = versions.first { $0.version == champion }
        decision.championValue = championCandidate?.value

        var rows: [PromotionDecision.Row] = []
        var eligible: [PromotionCandidate] = []
        for candidate in versions.sorted(by: { $0.version > $1.version }) {
            if candidate.version == champion {
                rows.append(.init(version: candidate.version, value: candidate.value, eligible: false, note: "champion (production)"))
                continue
            }
            if let reason = ineligibility(candidate, policy: policy, now: now) {
                rows.append(.init(version: candidate.version, value: candidate.value, eligible: false, note: reason))
                continue
            }
            eligible.append(candidate)
            rows.append(.init(version: candidate.version, value: candidate.value, eligible: true, note: "candidate"))
        }
        let window = "\(PromotionPolicy.format(Double(policy.lookbackMilliseconds) / Double(PromotionPolicy.day)))-day window"

        // The best candidate: by value, ties to the newest version.
        let better: (Double, Double) -> Bool = policy.direction == .lower ? (<) : (>)
        guard let best = eligible.min(by: { a, b in
            let (x, y) = (a.value!, b.value!)
            return x == y ? a.version > b.version : better(x, y)
        }) else {
            decision.reasons.append("No eligible candidate among \(versions.count - (championCandidate == nil ? 0 : 1)) other version(s) in the \(window); nothing changes.")
            decision.considered = rows
            return decision
        }
        let bestValue = best.value!
        decision.challenger = best.version
        decision.challengerValue = bestValue
        rows = rows.map { row in
            var row = row
            if row.version == best.version { row.note = "best candidate" }
            return row
        }
        decision.considered = rows
        let tied = eligible.filter { $0.value == bestValue && $0.version != best.version }.map(\.version)
        decision.reasons.append(
            "Best candidate: v\(best.version) with \(metric) \(show(bestValue)) (\(policy.direction == .lower ? "lower" : "higher") is better, \(eligible.count) eligible)."
                + (tied.isEmpty ? "" : " Tied with \(tied.map { "v\($0)" }.joined(separator: ", ")): the newest version wins ties."))

        let winning: PromotionDecision.Action = policy.mode == .auto ? .promote : .awaitApproval
        guard let champion, let championCandidate else {
            decision.action = winning
            decision.reasons.append(
                champion == nil
                    ? "No version is in production: the best candidate is \(winning == .promote ? "promoted" : "staged for approval")."
                    : "The production alias points at v\(champion!), which is gone: the best candidate is \(winning == .promote ? "promoted" : "staged for approval").")
            return decision
        }
        guard let championValue = championCandidate.value, championValue.isFinite else {
            decision.action = .stage
            let why = championCandidate.missingValue.map { " (\($0))." } ?? ". Log \(metric) on its run to compare."
            decision.reasons.append("Champion v\(champion) has no \(metric) to compare with: it stays in production and v\(best.version) is staged\(why)")
            return decision
        }
        let gain = policy.direction == .lower ? championValue - bestValue : bestValue - championValue
        let needed: String
        switch policy.minimumImprovement {
        case .relative(let fraction):
            decision.improvement = championValue == 0 ? (gain > 0 ? .infinity : gain == 0 ? 0 : -.infinity) : gain / abs(championValue)
            needed = "\(PromotionPolicy.format(fraction * 100))%"
        case .absolute:
            decision.improvement = gain
            needed = policy.minimumImprovement.description
        }
        let improvement = decision.improvement!
        let threshold: Double = switch policy.minimumImprovement { case .relative(let x), .absolute(let x): x }
        let measured = { () -> String in
            if case .relative = policy.minimumImprovement { return improvement.isFinite ? "\(show(improvement * 100))%" : (improvement > 0 ? "infinitely (champion is 0)" : "-infinitely") }
            return show(improvement)
        }()
        let comparison = "v\(best.version) \(metric) \(show(bestValue)) vs champion v\(champion) \(show(championValue))"
        // A hair of tolerance, so 0.40 -> 0.38 counts as the 5% it is despite binary floating point.
        if gain > 0 && improvement >= threshold - 1e-9 * max(threshold, 1) {
            decision.action = winning
            decision.reasons.append("\(comparison): \(measured) better, at least the \(needed) required. "
                + (winning == .promote ? "v\(best.version) is promoted; v\(champion) is archived and kept as `previous`." : "v\(best.version) is staged and waits for approval."))
        } else {
            decision.action = .stage
            let verdict = gain == 0 ? "equal to the champion" : gain < 0 ? "worse than the champion" : "\(measured) better, less than the \(needed) required"
            decision.reasons.append("\(comparison): \(verdict). v\(champion) stays in production; v\(best.version) is staged.")
        }
        return decision
    }

    /// Why a version is not a candidate, or `nil` when it is.
    static func ineligibility(_ candidate: PromotionCandidate, policy: PromotionPolicy, now: Int64) -> String? {
        if candidate.stage == .archived { return "archived" }
        let age = now - candidate.registeredAt
        if age > policy.lookbackMilliseconds {
            return "registered \(PromotionPolicy.format((Double(age) / Double(PromotionPolicy.day) * 10).rounded() / 10)) days ago, outside the window"
        }
        if policy.requireFinishedRun && candidate.runStatus != "FINISHED" { return "run is \(candidate.runStatus), not FINISHED" }
        for tag in policy.requiredTags where !candidate.tags.contains(tag) {
            return "lacks tag \(tag.key)=\(tag.value)"
        }
        guard let value = candidate.value else { return candidate.missingValue ?? "run logged no \(policy.metric)" }
        if !value.isFinite { return "\(policy.metric) is \(value)" }
        return nil
    }

    /// Six significant digits, as a person reads a metric.
    static func show(_ x: Double) -> String {
        String(format: "%.6g", x)
    }
}
