public import SlipwayCore

/// Checks monitoring rules: the drift and realized performance of a model's production version over
/// the rule's window. A new breach emits `ml.model.drift_detected.v1` or
/// `ml.model.performance_degraded.v1` (to webhooks and Slack, like every event) in the same
/// transaction that marks the rule breached, then performs the rule's action (roll production back,
/// audited with actor `monitor:<rule>`, or run another job). Later breaching checks report nothing
/// until one that sees everything the rule watches finds it within bounds: the rule clears
/// (`ml.model.monitor_cleared.v1`).
public struct RuleMonitor: Sendable {
    let rules: any MonitorRuleStore
    let registry: any RegistryStore
    let evaluations: any EvaluationStore
    let actuals: any ActualsStore
    let drift: DriftMonitor
    let promoter: Promoter
    let now: @Sendable () -> Int64
    /// The CloudEvents `source` of the events this writes.
    static let eventSource = "/slipway/monitor"

    public init(
        rules: any MonitorRuleStore, registry: any RegistryStore, evaluations: any EvaluationStore, actuals: any ActualsStore, drift: DriftMonitor,
        promoter: Promoter, now: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) {
        self.rules = rules
        self.registry = registry
        self.evaluations = evaluations
        self.actuals = actuals
        self.drift = drift
        self.promoter = promoter
        self.now = now
    }

    /// Checks the rule named `name` now and records what it found; `runJob` carries out a
    /// `job:NAME` action and says how the job ended.
    public func check(_ name: String, runJob: @Sendable (String) async throws -> String) async throws -> RuleCheck {
        // Another process may check the rule meanwhile: a check is recorded only if the rule is
        // still in the state it was judged against and no later check was recorded; else it looks again.
        for _ in 1...3 {
            let status = try await rules.getRule(name: name)
            let rule = status.rule
            let time = now()
            var check = try await observe(rule, at: time)
            check.outcome = .of(state: status.state, breached: check.breached, conclusive: check.conclusive)
            guard try await rules.recordCheck(
                name: name, at: time, check: JSONWriter.string(check.json), from: status.state, to: check.outcome.state(from: status.state),
                events: events(for: check, rule: rule))
            else { continue }
            guard check.outcome == .breached else { return check }
            // The action runs at most once: after the breach is recorded, never again for it.
            do {
                check.action = try await act(rule, check: check, runJob: runJob)
            } catch {
                check.action = "\(rule.action) failed: " + ((error as? SlipwayError)?.message ?? "\(error)")
                check.actionFailed = true
            }
            // What the action did is told in the answer (and the rollback's audit record) even if this fails.
            _ = try? await rules.recordCheck(name: name, at: time, check: JSONWriter.string(check.json), from: .breached, to: .breached, events: [])
            return check
        }
        throw SlipwayError(.resourceConflict, "Rule '\(name)' kept being checked by another process meanwhile; nothing was recorded. Run it again.")
    }

    /// What the window shows, without judging it against the rule's state.
    func observe(_ rule: MonitorRule, at time: Int64) async throws -> RuleCheck {
        let since = time - rule.windowMilliseconds, until = time + 1
        let production: ModelVersion
        do {
            production = try await registry.getModelVersion(name: rule.model, alias: "production")
        } catch let error as SlipwayError where error.code == .resourceDoesNotExist || error.code == .invalidParameterValue {
            var check = RuleCheck(rule: rule.name, model: rule.model, version: nil, at: time, since: since, until: until)
            check.gaps.append("'\(rule.model)' has no production version to watch (\(error.message))")
            return check
        }
        var check = RuleCheck(rule: rule.name, model: rule.model, version: production.version, at: time, since: since, until: until)
        if let share = rule.driftShare {
            do {
                check.drift = try await observeDrift(rule, version: production.version, share: share, since: since, until: until)
            } catch let error as SlipwayError {
                check.gaps.append("drift not checked: \(error.message)")
            }
        }
        if let metric = rule.metric {
            let rows = try await actuals.labeled(model: rule.model, since: since, until: until, version: production.version)
            let labeled = rows.filter { $0.actual != nil }
            if labeled.count < rule.minLabeled {
                check.gaps.append("\(metric) not checked: \(labeled.count) labeled of \(rows.count) predictions in the window, fewer than min_labeled \(rule.minLabeled)")
            } else {
                do {
                    if let value = try RealizedPerformance.value(metric, outputs: labeled.map(\.outputs), actuals: labeled.map { $0.actual! }) {
                        check.performance = RuleCheck.Performance(
                            metric: metric, value: value, maximum: rule.maximum, minimum: rule.minimum, predictions: rows.count, labeled: labeled.count)
                    } else {
                        check.gaps.append("\(metric) not checked: undefined on the \(labeled.count) labeled predictions (a single class?)")
                    }
                } catch {
                    check.gaps.append("\(metric) not checked: \(error.message)")
                }
            }
        }
        return check
    }

    /// The drift of the production version's served rows against the rule's reference (or the
    /// dataset the version was last evaluated on), stored as every drift report is.
    func observeDrift(_ rule: MonitorRule, version: Int, share: Double, since: Int64, until: Int64) async throws -> RuleCheck.Drift {
        var reference = rule.reference
        if reference == nil {
            let latest = try await evaluations.listEvaluations(model: rule.model, version: version).max { $0.createdAt < $1.createdAt }
            guard let latest else {
                throw SlipwayError.invalidParameter("v\(version) has no evaluation whose dataset could be the reference; give the rule a reference dataset")
            }
            reference = "\(latest.dataset)@\(latest.datasetVersion)"
        }
        let report = try await drift.report(model: rule.model, reference: reference!, version: version, since: since, until: until, share: share)
        guard report.currentRows >= rule.minRows else {
            throw SlipwayError.invalidParameter("\(report.currentRows) served rows in the window, fewer than min_rows \(rule.minRows)")
        }
        let id = try await drift.store(report)
        return RuleCheck.Drift(
            reference: report.reference, share: report.drift.share, threshold: share, columns: report.drift.columns.count,
            driftedColumns: report.drift.columns.filter(\.drifted).map(\.column), rows: report.currentRows, reportID: id)
    }

    /// The events of a new breach (one per breached check) or of a clearing.
    func events(for check: RuleCheck, rule: MonitorRule) -> [Event] {
        let subject = "models/\(rule.model)" + (check.version.map { "/versions/\($0)" } ?? "")
        let common: [(String, JSONValue)] = [
            ("model_name", .string(rule.model)), ("version", check.version.map { .string(String($0)) } ?? .null), ("rule", .string(rule.name)),
            ("window", .string(rule.window)), ("since", .int(check.since)), ("until", .int(check.until)), ("action", .string(rule.action.description)),
        ]
        switch check.outcome {
        case .breached:
            var events: [Event] = []
            if let drift = check.drift, drift.breached {
                events.append(Event(type: .modelDriftDetected, source: Self.eventSource, subject: subject, time: check.at, data: .object(common + [
                    ("reference", .string(drift.reference)), ("share", .number(drift.share)), ("threshold", .number(drift.threshold)),
                    ("columns", .int(drift.columns)), ("drifted_columns", .array(drift.driftedColumns.map { .string($0) })), ("rows", .int(drift.rows)),
                    ("report_id", .string(drift.reportID)),
                ])))
            }
            if let p = check.performance, p.breached {
                events.append(Event(type: .modelPerformanceDegraded, source: Self.eventSource, subject: subject, time: check.at, data: .object(common + [
                    ("metric", .string(p.metric)), ("value", .number(p.value)), ("max", p.maximum.map(JSONValue.number) ?? .null),
                    ("min", p.minimum.map(JSONValue.number) ?? .null), ("labeled", .int(p.labeled)), ("predictions", .int(p.predictions)),
                ])))
            }
            return events
        case .cleared:
            return [Event(type: .modelMonitorCleared, source: Self.eventSource, subject: subject, time: check.at, data: .object(common + [
                ("summary", .string(check.summary)),
            ]))]
        case .ok, .stillBreached, .inconclusive:
            return []
        }
    }

    /// Carries out the rule's action for a new breach; says what it did.
    func act(_ rule: MonitorRule, check: RuleCheck, runJob: @Sendable (String) async throws -> String) async throws -> String {
        switch rule.action {
        case .notify:
            return "notified"
        case .rollback:
            let record = try await promoter.rollback(
                rule.model, actor: rule.actor, reason: "rule '\(rule.name)' breached: \(check.summary)", replacing: check.version)
            return "rolled back to v\(record.toVersion.map(String.init) ?? "?") (record \(record.id))"
        case .job(let name):
            return try await runJob(name)
        }
    }
}
