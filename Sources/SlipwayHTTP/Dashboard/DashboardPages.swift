import Mustache
import SlipwayCore

/// The dashboard's pages: Mustache templates (every `{{value}}` is HTML-escaped) rendered from the
/// same JSON the page's twin in `/api/v1` answers. One layout; each page fills its `content`.
enum DashboardPages {
    /// The templates, parsed once. A template that does not parse is a bug a test catches.
    static let library: MustacheLibrary? = {
        var library = MustacheLibrary()
        for (name, text) in [("layout", layout), ("overview", overview), ("model", model), ("jobs", jobs), ("promote", promote), ("answer", answer),
            ("experiments", experiments), ("runs", runs), ("run", run), ("compare", compare)] {
            guard (try? library.register(text, named: name)) != nil else { return nil }
        }
        return library
    }()

    /// The page `template` over `data`, inside the layout.
    /// `raw` adds markup made on the server (charts) that the template inserts unescaped.
    static func render(
        _ template: String, title: String, data: JSONValue, raw: [String: String] = [:], refreshSeconds: Int? = nil, script: String? = nil
    ) -> String? {
        guard let library else { return nil }
        var context = mustacheValue(data) as? [String: Any] ?? [:]
        for (key, markup) in raw { context[key] = markup }
        guard let content = library.render(context, withTemplate: template) else { return nil }
        var page: [String: Any] = ["title": title, "content": content]
        if let refreshSeconds { page["refresh"] = refreshSeconds }
        if let script { page["script"] = script }
        return library.render(page, withTemplate: "layout")
    }

    /// JSON as Mustache reads it: objects as dictionaries, arrays as lists, null as absent.
    static func mustacheValue(_ value: JSONValue) -> Any? {
        switch value {
        case .null: return nil
        case .bool(let flag): return flag
        case .number(let x): return x == x.rounded() && abs(x) < 1e15 ? Int(x) as Any : x as Any
        case .string(let text): return text
        case .array(let items): return items.compactMap(mustacheValue)
        case .object(let members):
            var dictionary: [String: Any] = [:]
            for (key, member) in members { if let converted = mustacheValue(member) { dictionary[key] = converted } }
            return dictionary
        case .raw(let bytes): return (try? JSONParser.parse(String(decoding: bytes, as: UTF8.self))).flatMap(mustacheValue)
        }
    }

    // MARK: - Templates

    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        {{#refresh}}<meta http-equiv="refresh" content="{{refresh}}">{{/refresh}}
        <link rel="icon" href="data:,">
        <title>{{title}} · Slipway</title>
        <style>
        body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
        header { background: #1d2330; color: #fff; padding: 10px 24px; display: flex; gap: 24px; align-items: baseline; }
        header a { color: #cfd6e4; text-decoration: none; } header a.brand { color: #fff; font-weight: 600; font-size: 16px; }
        main { padding: 16px 24px; max-width: 1400px; }
        h1 { font-size: 20px; margin: 8px 0 16px; } h2 { font-size: 16px; margin: 24px 0 8px; }
        table { border-collapse: collapse; background: #fff; width: 100%; }
        th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e3e6eb; vertical-align: top; }
        th { background: #eef0f4; font-weight: 600; }
        .badge { display: inline-block; padding: 1px 7px; border-radius: 9px; font-size: 12px; margin-right: 4px; }
        .ok { background: #dff3e4; color: #17602c; } .bad { background: #fbe0e0; color: #8a1c1c; } .muted { color: #6b7385; }
        .stage { background: #e4ebfb; color: #23408e; }
        button { font: inherit; padding: 3px 10px; border: 1px solid #9aa3b5; border-radius: 4px; background: #fff; cursor: pointer; }
        form.inline { display: inline; } .actions { display: flex; gap: 8px; align-items: center; }
        .charts { display: flex; flex-wrap: wrap; } .charts svg { background: #fff; margin: 0 12px 12px 0; } pre { white-space: pre-wrap; margin: 0; font-size: 12px; }
        code { font-size: 12px; word-break: break-all; } td.when { white-space: nowrap; }
        </style>
        </head>
        <body>
        <header><a class="brand" href="/">Slipway</a><a href="/">Overview</a><a href="/ui/experiments">Experiments</a><a href="/ui/jobs">Jobs</a></header>
        <main>
        {{{content}}}
        </main>
        {{#script}}<script>{{{script}}}</script>{{/script}}
        </body>
        </html>
        """

    static let overview = """
        <h1>Overview</h1>
        <p class="muted">As of {{generated_at.text}}; this page refreshes every 30 s.</p>
        <h2>Models</h2>
        <table id="models">
        <thead><tr><th>Model</th><th>Production</th><th>Staging</th><th>Previous</th><th>Last change of production</th><th>Serving</th><th>Monitoring</th></tr></thead>
        <tbody>
        {{#models}}
        <tr data-model="{{name}}">
        <td><a href="{{page}}">{{name}}</a></td>
        <td>{{#production}}<span class="badge stage">v{{production}}</span>{{/production}}{{^production}}<span class="muted">none</span>{{/production}}</td>
        <td>{{#staging}}v{{staging}}{{/staging}}</td>
        <td>{{#previous}}v{{previous}}{{/previous}}</td>
        <td>{{#last_change}}{{action}} {{#to_version}}v{{to_version}}{{/to_version}} by {{actor}}, {{at.text}}<br><span class="muted">{{summary}}</span>{{/last_change}}</td>
        <td>{{#serving}}{{#version}}v{{version}} <code>{{digest}}</code> <span class="muted">{{path}}</span>{{/version}}{{^version}}<span class="muted">nothing loaded</span>{{/version}}{{#last_failure}}<br><span class="badge bad">failed</span> {{#failed_version}}v{{failed_version}}: {{/failed_version}}{{message}}{{/last_failure}}{{/serving}}{{^serving}}<span class="muted">not served here</span>{{/serving}}</td>
        <td>{{#monitoring}}{{#drift}}{{#drifted}}<span class="badge bad">drift {{share}}</span>{{/drifted}}{{^drifted}}<span class="badge ok">no drift</span>{{/drifted}}{{/drift}}{{#rules}}<span class="badge {{#breached}}bad{{/breached}}{{^breached}}ok{{/breached}}">{{name}}: {{state}}</span>{{/rules}}{{/monitoring}}</td>
        </tr>
        {{/models}}
        {{^models}}<tr><td colspan="7" class="muted">No registered models yet: log one with mlflow.&lt;flavor&gt;.log_model(..., registered_model_name=...).</td></tr>{{/models}}
        </tbody>
        </table>
        <h2>Jobs</h2>
        <table id="jobs">
        <thead><tr><th>Job</th><th>Kind</th><th>Model</th><th>Schedule (UTC)</th><th>Next run</th><th>Last run</th></tr></thead>
        <tbody>
        {{#jobs}}
        <tr data-job="{{name}}">
        <td><a href="/ui/jobs#job-{{name}}">{{name}}</a></td><td>{{kind}}</td><td>{{model}}</td><td><code>{{schedule}}</code></td><td>{{#next_run_at}}{{text}}{{/next_run_at}}</td>
        <td>{{#last_run}}<span class="badge {{#failed}}bad{{/failed}}{{^failed}}ok{{/failed}}">{{status}}</span> {{started_at.text}} <span class="muted">{{output}}</span>{{/last_run}}{{^last_run}}<span class="muted">never run</span>{{/last_run}}</td>
        </tr>
        {{/jobs}}
        {{^jobs}}<tr><td colspan="6" class="muted">No jobs.</td></tr>{{/jobs}}
        </tbody>
        </table>
        """

    static let model = """
        <h1>{{name}}</h1>
        <p>
        {{#production}}<span class="badge stage">production v{{production}}</span>{{/production}}{{^production}}<span class="muted">nothing in production</span>{{/production}}
        {{#staging}}<span class="badge">staging v{{staging}}</span>{{/staging}}
        {{#previous}}<span class="badge">previous v{{previous}}</span>{{/previous}}
        {{#monitoring}}{{#drift}}{{#drifted}}<span class="badge bad">drift {{share}} against {{reference}}</span>{{/drifted}}{{^drifted}}<span class="badge ok">no drift against {{reference}}</span>{{/drifted}}{{/drift}}{{#rules}}<span class="badge {{#breached}}bad{{/breached}}{{^breached}}ok{{/breached}}">rule {{name}}: {{state}}</span>{{/rules}}{{/monitoring}}
        </p>
        <div class="actions">
        <a href="{{page}}/promote"><button type="button">Promote…</button></a>
        {{#staging}}<form class="inline" method="post" action="{{page}}/approve"><input type="hidden" name="version" value="{{staging}}"><button type="submit">Approve v{{staging}}</button></form>{{/staging}}
        {{#previous}}<form class="inline" method="post" action="{{page}}/rollback"><button type="submit">Roll back to v{{previous}}</button></form>{{/previous}}
        </div>
        {{#serving}}<p>Served here: {{#version}}v{{version}} <code>{{digest}}</code> ({{path}}) since {{loaded_at.text}}{{/version}}{{#last_failure}}; <span class="badge bad">last failure</span> {{#failed_version}}v{{failed_version}}: {{/failed_version}}{{message}} ({{at.text}}){{/last_failure}}</p>{{/serving}}
        <h2>Serving, last 48 hours</h2>
        <div class="charts">{{{requests_chart}}} {{{latency_chart}}}</div>
        <table id="latency"><thead><tr><th>Version</th><th>Requests</th><th>p50 (ms)</th><th>p95 (ms)</th><th>p99 (ms)</th></tr></thead>
        <tbody>{{#latency_percentiles}}<tr data-latency-version="{{version}}"><td>v{{version}}</td><td>{{requests}}</td><td>{{p50_ms}}</td><td>{{p95_ms}}</td><td>{{p99_ms}}</td></tr>{{/latency_percentiles}}
        {{^latency_percentiles}}<tr><td colspan="5" class="muted">No request served by this process yet.</td></tr>{{/latency_percentiles}}</tbody></table>
        <p class="muted">Percentiles from this process's serving metrics (<code>slipway_prediction_duration_seconds</code>) since it started.</p>
        <h2>Monitoring</h2>
        {{#monitoring_charts}}
        <form method="get" class="filters"><label>Realized metric <input type="text" name="metric" size="12" value="{{metric}}" placeholder="rmse"></label> <button type="submit">Show</button></form>
        {{#performance_error}}<p><span class="badge bad">error</span> {{performance_error}}</p>{{/performance_error}}
        {{^metric}}<p class="muted">No metric to follow yet: evaluate a version, set a policy or a monitor rule, or pick one above.</p>{{/metric}}
        <div class="charts">{{{performance_chart}}} {{{drift_chart}}}</div>
        <table id="drift-reports"><thead><tr><th>When</th><th>Version</th><th>Reference</th><th>Window</th><th>Drifted share</th></tr></thead>
        <tbody>{{#drift_reports}}<tr><td class="when">{{at.text}}</td><td>v{{version}}</td><td><code>{{reference}}</code></td><td>{{since.text}} &ndash; {{until.text}}</td>
        <td><span class="badge {{#drifted}}bad{{/drifted}}{{^drifted}}ok{{/drifted}}">{{share_text}}</span></td></tr>{{/drift_reports}}
        {{^drift_reports}}<tr><td colspan="5" class="muted">No drift report yet: <code>slipway drift {{name}} --reference DATASET@VERSION</code>.</td></tr>{{/drift_reports}}</tbody></table>
        {{/monitoring_charts}}
        <h2>Versions</h2>
        <table id="versions">
        <thead><tr><th>Version</th><th>Stage</th><th>Aliases</th><th>Run</th><th>Created</th><th>Evaluations</th></tr></thead>
        <tbody>
        {{#versions}}
        <tr id="v{{version}}" data-version="{{version}}">
        <td>v{{version}}</td><td>{{stage}}</td><td>{{#aliases}}<span class="badge stage">{{.}}</span>{{/aliases}}</td>
        <td><code>{{run_id}}</code><br><span class="muted">{{source}}</span></td><td>{{created_at.text}}</td>
        <td>{{#evaluations}}<div><b>{{dataset}}</b> ({{rows}} rows): {{#metrics}}{{key}}={{value}} {{/metrics}}</div>{{/evaluations}}</td>
        </tr>
        {{/versions}}
        </tbody>
        </table>
        <h2>Decisions</h2>
        <table id="decisions">
        <thead><tr><th>When</th><th>Kind</th><th>Action</th><th>By</th><th>Versions</th><th>Why</th></tr></thead>
        <tbody>
        {{#decisions}}
        <tr><td class="when">{{at.text}}</td><td>{{kind}}</td><td>{{action}}</td><td>{{actor}}</td><td>{{#from_version}}v{{from_version}}{{/from_version}} &rarr; {{#to_version}}v{{to_version}}{{/to_version}}</td><td>{{summary}}</td></tr>
        {{/decisions}}
        {{^decisions}}<tr><td colspan="6" class="muted">No decisions recorded.</td></tr>{{/decisions}}
        </tbody>
        </table>
        <h2>Events</h2>
        <table id="events">
        <thead><tr><th>When</th><th>Type</th><th>Subject</th><th>Data</th></tr></thead>
        <tbody>
        {{#events}}<tr><td class="when">{{at.text}}</td><td>{{type}}</td><td>{{subject}}</td><td><code>{{data}}</code></td></tr>{{/events}}
        {{^events}}<tr><td colspan="4" class="muted">No events.</td></tr>{{/events}}
        </tbody>
        </table>
        <h2>Webhook deliveries</h2>
        <table id="deliveries">
        <thead><tr><th>When</th><th>Event</th><th>Webhook</th><th>Status</th><th>Attempts</th><th>Last answer</th><th></th></tr></thead>
        <tbody>
        {{#deliveries}}<tr data-delivery="{{id}}" data-status="{{status}}"><td class="when">{{at.text}}</td><td>{{event_type}}</td><td><code>{{webhook_id}}</code> <span class="muted">{{webhook_kind}}</span></td>
        <td><span class="badge {{#failed}}bad{{/failed}}{{^failed}}ok{{/failed}}">{{status}}</span></td><td>{{attempts}}</td><td>{{last_status_code}} {{last_error}}</td>
        <td>{{#failed}}<form class="inline" method="post" action="{{page}}/deliveries/{{id}}/replay"><button type="submit">Replay</button></form>{{/failed}}</td></tr>{{/deliveries}}
        {{^deliveries}}<tr><td colspan="7" class="muted">No webhook deliveries for these events.</td></tr>{{/deliveries}}
        </tbody>
        </table>
        """

    static let jobs = """
        <h1>Jobs</h1>
        <p class="muted">As of {{generated_at.text}}; jobs whose last run failed come first. Times are UTC.</p>
        {{#jobs}}
        <section class="job" id="job-{{name}}" data-job="{{name}}">
        <h2>{{name}} {{#failing}}<span class="badge bad">failing</span>{{/failing}}</h2>
        <p>{{kind}} <b>{{model}}</b>{{#argument}} <code>{{argument}}</code>{{/argument}} at <code>{{schedule}}</code>,
        next run {{#next_run_at}}{{text}}{{/next_run_at}}{{^next_run_at}}never{{/next_run_at}}
        <form class="inline" method="post" action="/ui/jobs/{{name}}/run"><button type="submit">Run now</button></form></p>
        <table class="runs">
        <thead><tr><th>Started</th><th>Trigger</th><th>Status</th><th>ms</th><th>Output</th></tr></thead>
        <tbody>
        {{#runs}}<tr data-status="{{status}}"><td class="when">{{started_at.text}}</td><td>{{trigger}}</td><td><span class="badge {{#failed}}bad{{/failed}}{{^failed}}ok{{/failed}}">{{status}}</span></td><td>{{duration_ms}}</td><td><pre>{{output}}</pre></td></tr>{{/runs}}
        {{^runs}}<tr><td colspan="5" class="muted">Not run yet.</td></tr>{{/runs}}
        </tbody>
        </table>
        </section>
        {{/jobs}}
        {{^jobs}}<p class="muted">No jobs. Add one with <code>slipway jobs add</code>.</p>{{/jobs}}
        """

    static let promote = """
        <h1>Promote <a href="{{page}}">{{model}}</a>: dry run</h1>
        <p>Policy metric <b>{{metric}}</b> ({{direction}} is better). Nothing has changed yet.</p>
        <table id="candidates">
        <thead><tr><th>Version</th><th>{{metric}}</th><th>Candidate</th><th>Note</th></tr></thead>
        <tbody>{{#rows}}<tr data-version="{{version}}"><td>v{{version}}</td><td>{{value}}</td><td>{{candidate}}</td><td>{{note}}</td></tr>{{/rows}}</tbody>
        </table>
        <p id="decision">Decision: <b>{{action}}</b>{{#challenger}} v{{challenger}}{{/challenger}}</p>
        <ul>{{#reasons}}<li>{{.}}</li>{{/reasons}}</ul>
        {{#changes}}<form method="post" action="{{page}}/promote"><button type="submit">Apply: {{action}}{{#challenger}} v{{challenger}}{{/challenger}}</button></form>{{/changes}}
        {{^changes}}<p class="muted">Applying it would change nothing.</p>{{/changes}}
        """

    static let answer = """
        <h1><a href="{{page}}">{{name}}</a></h1>
        {{#error}}<p id="answer"><span class="badge bad">{{code}}</span> {{error}}</p>{{/error}}
        {{#headline}}<p id="answer"><span class="badge ok">done</span> {{headline}}</p>{{/headline}}{{#record_id}}<p>{{summary}}</p><p class="muted">Audit record {{record_id}}.</p>{{/record_id}}
        <p><a href="{{page}}">Back to {{name}}</a></p>
        """

    static let experiments = """
        <h1>Experiments</h1>
        <table id="experiments">
        <thead><tr><th>Experiment</th><th>Id</th><th>Created</th></tr></thead>
        <tbody>{{#experiments}}<tr><td><a href="{{page}}">{{name}}</a></td><td>{{id}}</td><td class="when">{{created_at.text}}</td></tr>{{/experiments}}</tbody>
        </table>
        """

    static let runs = """
        <h1>{{experiment.name}} <span class="muted">experiment {{experiment.id}}</span></h1>
        <form method="get" class="filters">
        <label>Filter <input type="text" name="filter" size="60" value="{{filter}}" placeholder="metrics.rmse < 1 and params.model = 'xgb'"></label>
        <label>Columns <input type="text" name="columns" size="50" value="{{columns_text}}" list="available"></label>
        <datalist id="available">{{#available_columns}}<option value="{{.}}">{{/available_columns}}</datalist>
        <input type="hidden" name="order_by" value="{{order_by}}">
        <button type="submit">Search</button>
        </form>
        <p class="muted">{{count}} runs shown, ordered by <code>{{order_by}}</code>. Columns you can add: {{#available_columns}}<code>{{.}}</code> {{/available_columns}}</p>
        <form method="get" action="/ui/compare" id="compare">
        <table id="runs">
        <thead><tr><th><button type="submit" title="Overlay the checked runs' metrics">Compare</button></th><th>Run</th><th>Status</th><th>Started</th><th>Duration (s)</th>{{#headers}}<th><a href="{{sort}}">{{column}}</a> {{sorted}}</th>{{/headers}}</tr></thead>
        <tbody>
        {{#runs}}<tr data-run="{{run_id}}"><td><input type="checkbox" name="runs" value="{{run_id}}" aria-label="compare {{run_name}}"></td><td><a href="{{page}}">{{run_name}}</a></td><td>{{status}}</td><td class="when">{{start_time.text}}</td><td>{{duration_s}}</td>{{#cells}}<td>{{value}}</td>{{/cells}}</tr>{{/runs}}
        {{^runs}}<tr><td colspan="5" class="muted">No runs match.</td></tr>{{/runs}}
        </tbody>
        </table>
        </form>
        {{#next}}<p><a id="next" href="{{next}}">Next 100 runs</a></p>{{/next}}
        """

    static let compare = """
        <h1>Comparing {{#runs}}<a href="{{page}}">{{run_name}}</a> {{/runs}}</h1>
        <p>Charts over <a id="by-step" href="?{{query}}&amp;x=step">step</a> | <a id="by-time" href="?{{query}}&amp;x=time">time</a>, a line per run.</p>
        <div class="charts">{{{metric_charts}}}</div>
        {{^metrics}}<p class="muted">These runs logged no metrics.</p>{{/metrics}}
        """

    static let run = """
        <h1>{{run_name}} <span class="muted">run <code>{{run_id}}</code></span></h1>
        <p>{{status}}, started {{start_time.text}}{{#end_time}}, ended {{text}}{{/end_time}}, in <a href="{{experiment_page}}">experiment {{experiment_id}}</a>.
        Artifacts: <code>{{artifact_uri}}</code></p>
        <h2>Metrics</h2>
        <table id="metrics"><thead><tr><th>Metric</th><th>Latest</th><th>Points</th></tr></thead>
        <tbody>{{#metrics}}<tr><td>{{key}}</td><td>{{latest}}</td><td>{{points}}</td></tr>{{/metrics}}</tbody></table>
        <p>Charts over <a id="by-step" href="?x=step">step</a> | <a id="by-time" href="?x=time">time</a></p>
        <div class="charts">{{{metric_charts}}}</div>
        <h2>Artifacts</h2>
        <table id="artifacts"><tbody>{{#artifacts}}<tr><td style="padding-left: {{indent}}px">{{#is_dir}}{{name}}/{{/is_dir}}{{^is_dir}}<a href="{{download}}" download>{{name}}</a>{{/is_dir}}</td><td class="muted">{{size}}</td></tr>{{/artifacts}}
        {{^artifacts}}<tr><td class="muted">No artifacts.</td></tr>{{/artifacts}}</tbody></table>
        <h2>Parameters</h2>
        <table id="params"><tbody>{{#params}}<tr><td>{{key}}</td><td>{{value}}</td></tr>{{/params}}{{^params}}<tr><td class="muted">None.</td></tr>{{/params}}</tbody></table>
        <h2>Tags</h2>
        <table id="tags"><tbody>{{#tags}}<tr><td>{{key}}</td><td>{{value}}</td></tr>{{/tags}}{{^tags}}<tr><td class="muted">None.</td></tr>{{/tags}}</tbody></table>
        """
}
