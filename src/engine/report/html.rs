//! One self-contained HTML page for people: the verdict, the targets and their scope, a
//! chart of findings by rule and severity (inline SVG drawn here), the repair plan, and a
//! section per rule whose findings can be filtered and sorted in the page. No network: the
//! CSS and the small script are inline, and nothing the page shows from a report is
//! trusted (every subject, message, path and detail is escaped).
//!
//! Findings are streamed: the printer keeps counters per rule and the first
//! [`INLINE_FINDINGS`] rows of each rule, already rendered, and states how many more the
//! JSON report has.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use anyhow::Result;
use serde_json::Value;

use super::diff::{Diff, Side};
use super::{FailOn, RepairEntry, Repairs, Report, Summary, Target, rfc3339};
use crate::engine::escape::html as esc;
use crate::engine::finding::{Finding, Severity};

/// How many findings of each rule (of each side, in a diff) the page holds; the rest are
/// counted and left to the JSON report.
pub const INLINE_FINDINGS: usize = 2000;

/// Writes the page of a run; the verdict is the exit status `fail_on` gives.
pub(super) fn write_report(report: &Report, out: &mut dyn Write, fail_on: FailOn) -> Result<()> {
    // One pass over the findings: counters and the first rows of each rule.
    let mut rules: BTreeMap<String, RuleRows> = BTreeMap::new();
    for rule in report.rules_run() {
        rules.entry(rule).or_default();
    }
    report.for_each_finding(|f| {
        rules.entry(f.rule.clone()).or_default().push(&f);
        Ok(())
    })?;

    let mut products: Vec<&str> = Vec::new();
    for t in &report.targets {
        if !products.contains(&t.product.as_str()) {
            products.push(&t.product);
        }
    }
    let mut page = String::with_capacity(1 << 16);
    page_start(&mut page, &format!("repocheck report: {}", products.join(", ")));
    let _ = writeln!(
        page,
        "<header><h1>repocheck report</h1><p class=\"meta\">{} · started <time class=\"started\">{}</time> · finished <time class=\"finished\">{}</time> · <span class=\"elapsed\">{:.1} s</span></p></header>",
        esc(&format!("repocheck {}", env!("CARGO_PKG_VERSION"))),
        esc(&rfc3339(report.started_at)),
        esc(&rfc3339(report.finished_at)),
        report.stats.elapsed_ms as f64 / 1000.0
    );
    verdict(&mut page, &report.summary, fail_on, "findings");
    let s = &report.stats;
    let _ = writeln!(
        page,
        "<p class=\"stats\"><span id=\"stat-db-rows\">{}</span> database rows read, <span id=\"stat-entries\">{}</span> entries walked, <span id=\"stat-bytes\">{}</span> hashed.</p>",
        thousands(s.db_rows),
        thousands(s.entries_walked),
        human_bytes(s.bytes_hashed)
    );
    targets(&mut page, &report.targets);
    manifest(&mut page, &report.targets, &rules);
    chart(&mut page, &rules);
    out.write_all(page.as_bytes())?;
    page.clear();

    // The plan is small (one unit per upload, agent, volume): as JSON values, the shape the
    // JSON report has, so a plan read back from a report renders the same.
    let plan: Vec<Value> = report.plan.iter().map(serde_json::to_value).collect::<Result<_, _>>()?;
    write_plan(out, &plan)?;
    repairs(&mut page, &report.repairs)?;

    let _ = writeln!(page, "<section id=\"findings\"><h2>Rules and findings</h2>");
    controls(&mut page);
    let (failing, passed): (Vec<_>, Vec<_>) = rules.iter().partition(|(_, r)| r.counts.total() > 0);
    for (rule, rows) in &failing {
        rule_section(&mut page, rule, rows, "");
        out.write_all(page.as_bytes())?;
        page.clear();
    }
    if !passed.is_empty() {
        let _ = writeln!(page, "<h3 id=\"passed-title\">Passed: {} rule(s) with no finding</h3>\n<ul class=\"passed-rules\">", passed.len());
        for (rule, _) in &passed {
            let _ = writeln!(page, "<li class=\"rule passed\" data-rule=\"{0}\" data-total=\"0\"><span class=\"ok\">✓</span> <code>{0}</code> passed</li>", esc(rule));
        }
        page.push_str("</ul>\n");
    }
    page.push_str("</section>\n");
    page_end(&mut page, "The JSON report (<code>--format json</code>) holds every finding with its repair.");
    out.write_all(page.as_bytes())?;
    Ok(())
}

/// Writes the repair plan, one row per unit (an upload, an agent, a volume), as the JSON
/// report's `plan` array has it; nothing when the plan is empty. Every value is read
/// leniently: a field missing or of another type shows as empty or as compact JSON.
fn write_plan(out: &mut dyn Write, plan: &[Value]) -> Result<()> {
    if plan.is_empty() {
        return Ok(());
    }
    let mut page = String::new();
    let _ = writeln!(page, "<section id=\"plan\"><h2>Repair plan</h2>\n<p><span id=\"plan-units\">{}</span> unit(s) to repair, worst first as the report orders them.</p>", plan.len());
    page.push_str("<table class=\"plan\"><thead><tr><th>product</th><th>unit</th><th>title</th><th>severity</th><th>findings</th><th>size</th><th>action</th><th>repairs</th></tr></thead><tbody>\n");
    for unit in plan.iter().take(INLINE_FINDINGS) {
        let field = |k: &str| unit.get(k).map(value_text).unwrap_or_default();
        let severity = field("severity");
        let findings = match unit.get("findings") {
            Some(Value::Object(map)) => map.iter().map(|(rule, n)| format!("<code>{}</code> {}", esc(rule), esc(&value_text(n)))).collect::<Vec<_>>().join("<br>"),
            Some(other) => esc(&value_text(other)),
            None => String::new(),
        };
        let bytes = match unit.get("bytes") {
            Some(Value::Number(n)) if n.as_u64().is_some() => human_bytes(n.as_u64().unwrap_or_default()),
            Some(other) => esc(&value_text(other)),
            None => String::new(),
        };
        let repairs = match unit.get("repairs") {
            Some(Value::Array(list)) if !list.is_empty() => {
                // The report lists the first few repairs of a unit and counts them all.
                let total = unit.get("repairs_total").and_then(Value::as_u64).filter(|&t| t > list.len() as u64);
                let count = match total {
                    Some(t) => format!("{} of {}", list.len(), thousands(t)),
                    None => list.len().to_string(),
                };
                format!("<details><summary>{count}</summary><pre>{}</pre></details>", esc(&serde_json::to_string(list).unwrap_or_default()))
            }
            _ => String::new(),
        };
        let owner = match unit.get("owner").map(value_text) {
            Some(o) if !o.is_empty() => format!("<br><span class=\"owner\">owner {}</span>", esc(&o)),
            _ => String::new(),
        };
        let _ = writeln!(
            page,
            "<tr class=\"unit\" data-product=\"{}\" data-key=\"{}\"><td>{}</td><td>{} <code>{}</code></td><td>{}{owner}</td><td class=\"sev sev-{}\">{}</td><td>{findings}</td><td class=\"num\">{bytes}</td><td>{}</td><td>{repairs}</td></tr>",
            esc(&field("product")),
            esc(&field("key")),
            esc(&field("product")),
            esc(&field("unit")),
            esc(&field("key")),
            esc(&field("title")),
            esc(&severity),
            esc(&severity),
            esc(&field("action"))
        );
    }
    page.push_str("</tbody></table>\n");
    if plan.len() > INLINE_FINDINGS {
        let _ = writeln!(page, "<p class=\"more\">and {} more: see the JSON report</p>", thousands((plan.len() - INLINE_FINDINGS) as u64));
    }
    page.push_str("</section>\n");
    out.write_all(page.as_bytes())?;
    Ok(())
}

/// Writes the page of `repocheck diff`: the verdict on the new findings, both reports, the
/// counts per rule, and the new and resolved findings (filterable).
pub(super) fn write_diff(diff: &Diff, out: &mut dyn Write, fail_on: FailOn) -> Result<()> {
    let mut new: BTreeMap<String, RuleRows> = BTreeMap::new();
    let mut resolved: BTreeMap<String, RuleRows> = BTreeMap::new();
    diff.for_each_new(|f| {
        new.entry(f.rule.clone()).or_default().push(&f);
        Ok(())
    })?;
    diff.for_each_resolved(|f| {
        resolved.entry(f.rule.clone()).or_default().push(&f);
        Ok(())
    })?;
    let mut page = String::with_capacity(1 << 16);
    page_start(&mut page, "repocheck diff");
    page.push_str("<header><h1>repocheck diff</h1>\n");
    page.push_str("<table class=\"sides\"><thead><tr><th></th><th>report</th><th>started</th><th>error</th><th>warning</th><th>info</th></tr></thead><tbody>\n");
    for (name, side) in [("before", &diff.before), ("after", &diff.after)] {
        side_row(&mut page, name, side);
    }
    page.push_str("</tbody></table></header>\n");
    verdict(&mut page, &diff.summary.new, fail_on, "new findings");
    page.push_str("<section id=\"changes\"><h2>Changes</h2>\n<table class=\"counts\"><thead><tr><th></th><th>error</th><th>warning</th><th>info</th><th>total</th></tr></thead><tbody>\n");
    for (name, counts) in [("new", &diff.summary.new), ("resolved", &diff.summary.resolved), ("unchanged", &diff.summary.unchanged)] {
        let _ = write!(page, "<tr><th>{name}</th>");
        for severity in Severity::ALL {
            let n = counts.count(severity);
            let _ = write!(page, "<td class=\"num\" id=\"{name}-{severity}\" data-n=\"{n}\">{}</td>", thousands(n));
        }
        let _ = writeln!(page, "<td class=\"num\" id=\"{name}-total\" data-n=\"{0}\">{1}</td></tr>", counts.total(), thousands(counts.total()));
    }
    page.push_str("</tbody></table>\n<table class=\"counts rules\"><thead><tr><th>rule</th><th>new</th><th>resolved</th><th>unchanged</th></tr></thead><tbody>\n");
    for (rule, c) in &diff.rules {
        let _ = writeln!(
            page,
            "<tr class=\"rule-changes\" data-rule=\"{}\" data-new=\"{}\" data-resolved=\"{}\" data-unchanged=\"{}\"><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(rule),
            c.new.total(),
            c.resolved.total(),
            c.unchanged.total(),
            esc(rule),
            thousands(c.new.total()),
            thousands(c.resolved.total()),
            thousands(c.unchanged.total())
        );
    }
    page.push_str("</tbody></table>\n<p class=\"note\">A finding is identified by its rule and subject: one whose message or severity changed is unchanged.</p></section>\n");
    page.push_str("<section id=\"findings\"><h2>New and resolved findings</h2>\n");
    controls(&mut page);
    for (title, id, map) in [("New", "new", &new), ("Resolved", "resolved", &resolved)] {
        let _ = writeln!(page, "<h3 id=\"{id}-title\">{title} findings</h3>");
        if map.is_empty() {
            let _ = writeln!(page, "<p class=\"none\">No {id} findings.</p>");
        }
        for (rule, rows) in map {
            rule_section(&mut page, rule, rows, id);
            out.write_all(page.as_bytes())?;
            page.clear();
        }
    }
    page.push_str("</section>\n");
    page_end(&mut page, "The JSON diff (<code>repocheck diff --format json</code>) holds every new and resolved finding.");
    out.write_all(page.as_bytes())?;
    Ok(())
}

fn side_row(page: &mut String, name: &str, side: &Side) {
    let _ = write!(page, "<tr id=\"side-{name}\"><th>{name}</th><td><code class=\"file\">{}</code></td><td><time class=\"started\">{}</time></td>", esc(&side.file), esc(&side.started_at));
    for severity in Severity::ALL {
        let _ = write!(page, "<td class=\"num\">{}</td>", thousands(side.summary.count(severity)));
    }
    page.push_str("</tr>\n");
}

/// Counters of one rule and its first rows, rendered.
#[derive(Default)]
struct RuleRows {
    counts: Summary,
    rows: String,
    shown: usize,
}

impl RuleRows {
    fn push(&mut self, f: &Finding) {
        self.counts.add(f.severity);
        if self.shown < INLINE_FINDINGS {
            finding_row(&mut self.rows, f, self.shown);
            self.shown += 1;
        }
    }
}

fn finding_row(out: &mut String, f: &Finding, i: usize) {
    let rank = match f.severity {
        Severity::Error => 2,
        Severity::Warning => 1,
        Severity::Info => 0,
    };
    let _ = write!(
        out,
        "<tr class=\"finding\" data-i=\"{i}\" data-sev=\"{rank}\"><td class=\"sev sev-{0}\">{0}</td><td class=\"subject\"><code>{1}</code></td><td class=\"message\">{2}</td><td class=\"details\">",
        f.severity,
        esc(&f.subject),
        esc(&f.message)
    );
    if !f.details.is_empty() || f.repair.is_some() {
        out.push_str("<details><summary>details</summary>");
        if !f.details.is_empty() {
            let _ = write!(out, "<pre>{}</pre>", esc(&serde_json::to_string(&f.details).unwrap_or_default()));
        }
        if let Some(repair) = &f.repair {
            let _ = write!(out, "<pre class=\"repair\">repair: {}</pre>", esc(&serde_json::to_string(repair).unwrap_or_default()));
        }
        out.push_str("</details>");
    }
    out.push_str("</td></tr>\n");
}

/// A rule's section: its counts, its first findings and how many more there are. `side`
/// names the part of a diff ("new", "resolved"), empty for a run.
fn rule_section(page: &mut String, rule: &str, rows: &RuleRows, side: &str) {
    let total = rows.counts.total();
    let per: Vec<String> = Severity::ALL.iter().filter(|&&s| rows.counts.count(s) > 0).map(|&s| format!("{} {s}", thousands(rows.counts.count(s)))).collect();
    let id = if side.is_empty() { format!("rule-{rule}") } else { format!("{side}-{rule}") };
    let _ = writeln!(
        page,
        "<details class=\"rule\" open id=\"{}\" data-rule=\"{}\" data-side=\"{side}\" data-total=\"{total}\" data-shown=\"{}\"><summary><code>{}</code> <span class=\"total\">{}</span> finding(s) <span class=\"per\">({})</span> <span class=\"match\"><span class=\"visible\">{}</span> shown</span></summary>",
        esc(&id),
        esc(rule),
        rows.shown,
        esc(rule),
        thousands(total),
        per.join(", "),
        rows.shown
    );
    page.push_str("<table class=\"findings\"><thead><tr><th>severity</th><th>subject</th><th>message</th><th>details</th></tr></thead><tbody>\n");
    page.push_str(&rows.rows);
    page.push_str("</tbody></table>\n");
    if total > rows.shown as u64 {
        let _ = writeln!(page, "<p class=\"more\" data-more=\"{0}\">and {1} more: see the JSON report</p>", total - rows.shown as u64, thousands(total - rows.shown as u64));
    }
    page.push_str("</details>\n");
}

fn verdict(page: &mut String, summary: &Summary, fail_on: FailOn, what: &str) {
    let fails = summary.fails(fail_on);
    let threshold = match fail_on {
        FailOn::At(s) => s.as_str(),
        FailOn::Never => "never",
    };
    let (class, word, code) = if fails { ("fail", "FAIL", 1) } else { ("pass", "PASS", 0) };
    let _ = write!(
        page,
        "<section id=\"verdict\" class=\"verdict {class}\" data-exit=\"{code}\"><h2><span class=\"word\">{word}</span> <span class=\"exit\">exit {code} with <code>--fail-on {threshold}</code></span></h2>\n<table class=\"counts\" id=\"summary\"><thead><tr><th></th><th>error</th><th>warning</th><th>info</th><th>total</th></tr></thead><tbody><tr><th>{what}</th>"
    );
    for severity in Severity::ALL {
        let n = summary.count(severity);
        let _ = write!(page, "<td class=\"num sev-{severity}\" id=\"summary-{severity}\" data-n=\"{n}\">{}</td>", thousands(n));
    }
    let _ = writeln!(page, "<td class=\"num\" id=\"summary-total\" data-n=\"{0}\">{1}</td></tr></tbody></table></section>", summary.total(), thousands(summary.total()));
}

fn targets(page: &mut String, targets: &[Target]) {
    let _ = writeln!(page, "<section id=\"targets\"><h2>Checked: {} target(s)</h2>", targets.len());
    page.push_str("<table class=\"targets\"><thead><tr><th>product</th><th>level</th><th>inputs</th><th>scope</th><th>rules</th></tr></thead><tbody>\n");
    for t in targets {
        let inputs: Vec<String> = t.inputs.iter().map(|(k, v)| format!("<b>{}</b> <code>{}</code>", esc(k), esc(&value_text(v)))).collect();
        let scope: Vec<String> = match &t.scope {
            Some(scope) => scope.iter().map(|(k, v)| format!("<b>{}</b> <code>{}</code>", esc(k), esc(&value_text(v)))).collect(),
            None => vec!["the whole installation".into()],
        };
        let _ = writeln!(
            page,
            "<tr class=\"target\" data-product=\"{0}\"><td>{0}</td><td>{1}</td><td>{2}</td><td>{3}</td><td class=\"num\">{4}</td></tr>",
            esc(&t.product),
            esc(t.level.as_deref().unwrap_or("")),
            inputs.join("<br>"),
            scope.join("<br>"),
            t.rules.len()
        );
    }
    page.push_str("</tbody></table></section>\n");
}

/// The restore proof of each target that was compared with (or recorded) a manifest.
fn manifest(page: &mut String, targets: &[Target], rules: &BTreeMap<String, RuleRows>) {
    let proofs: Vec<(&Target, &serde_json::Map<String, Value>)> = targets.iter().filter_map(|t| t.scope.as_ref().and_then(|s| s.get("manifest")).and_then(Value::as_object).map(|m| (t, m))).collect();
    if proofs.is_empty() {
        return;
    }
    page.push_str("<section id=\"manifest\"><h2>Restore proof (manifest)</h2>\n");
    for (t, m) in proofs {
        let _ = writeln!(page, "<h3>{}</h3>\n<table class=\"manifest\"><tbody>", esc(&t.product));
        if let Some(against) = m.get("against").and_then(Value::as_object) {
            let field = |k: &str| against.get(k).map(value_text).unwrap_or_default();
            let not_compared = match against.get("inputs_not_compared") {
                Some(Value::Array(list)) if list.is_empty() => "none".to_string(),
                Some(Value::Array(list)) => list.iter().map(value_text).collect::<Vec<_>>().join(", "),
                Some(Value::Object(map)) if map.is_empty() => "none".to_string(),
                Some(Value::Object(map)) => map.iter().map(|(k, v)| format!("{k}: {}", value_text(v))).collect::<Vec<_>>().join("; "),
                Some(other) => value_text(other),
                None => String::new(),
            };
            let _ = writeln!(page, "<tr><th>compared against</th><td><code>{}</code></td></tr>", esc(&field("manifest")));
            let _ = writeln!(page, "<tr><th>recorded at</th><td><time>{}</time></td></tr>", esc(&field("recorded_at")));
            let _ = writeln!(page, "<tr><th>files compared</th><td class=\"num\" id=\"manifest-files\">{}</td></tr>", esc(&field("files_compared")));
            let _ = writeln!(page, "<tr><th>tables compared</th><td class=\"num\" id=\"manifest-tables\">{}</td></tr>", esc(&field("tables_compared")));
            let _ = writeln!(page, "<tr><th>inputs not compared</th><td>{}</td></tr>", esc(&not_compared));
        }
        if let Some(written) = m.get("written") {
            let _ = writeln!(page, "<tr><th>manifest written</th><td><code>{}</code></td></tr>", esc(&value_text(written)));
        }
        page.push_str("</tbody></table>\n");
    }
    let manifest_rules: Vec<(&String, &RuleRows)> = rules.iter().filter(|(r, _)| r.starts_with("manifest/")).collect();
    if !manifest_rules.is_empty() {
        page.push_str("<table class=\"counts\"><thead><tr><th>rule</th><th>error</th><th>warning</th><th>info</th></tr></thead><tbody>\n");
        for (rule, rows) in manifest_rules {
            let c = rows.counts;
            let _ = writeln!(
                page,
                "<tr class=\"manifest-rule\" data-rule=\"{0}\" data-total=\"{4}\"><td><code>{0}</code></td><td class=\"num\">{1}</td><td class=\"num\">{2}</td><td class=\"num\">{3}</td></tr>",
                esc(rule),
                c.error,
                c.warning,
                c.info,
                c.total()
            );
        }
        page.push_str("</tbody></table>\n");
    }
    page.push_str("</section>\n");
}

/// Horizontal bars, one per rule with findings, stacked by severity.
fn chart(page: &mut String, rules: &BTreeMap<String, RuleRows>) {
    page.push_str("<section id=\"chart\"><h2>Findings by rule and severity</h2>\n");
    let rows: Vec<(&String, Summary)> = rules.iter().filter(|(_, r)| r.counts.total() > 0).map(|(k, r)| (k, r.counts)).collect();
    if rows.is_empty() {
        page.push_str("<p class=\"none\">No findings.</p></section>\n");
        return;
    }
    const LABEL: f64 = 270.0;
    const BAR: f64 = 420.0;
    const ROW: f64 = 24.0;
    const TOP: f64 = 24.0;
    let width = LABEL + BAR + 90.0;
    let height = TOP + ROW * rows.len() as f64 + 6.0;
    let max = rows.iter().map(|(_, c)| c.total()).max().unwrap_or(1).max(1) as f64;
    let _ = writeln!(
        page,
        "<svg id=\"chart-svg\" role=\"img\" aria-label=\"findings by rule and severity\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    // Legend.
    let mut x = LABEL;
    for severity in Severity::ALL {
        let _ = writeln!(page, "<rect x=\"{x}\" y=\"4\" width=\"12\" height=\"12\" class=\"bar-{severity}\"/><text x=\"{}\" y=\"14\" class=\"legend\">{severity}</text>", x + 16.0);
        x += 90.0;
    }
    for (i, (rule, counts)) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let _ = writeln!(
            page,
            "<g class=\"bar\" data-rule=\"{0}\" data-total=\"{1}\"><title>{0}: {2} error, {3} warning, {4} info</title>",
            esc(rule),
            counts.total(),
            counts.error,
            counts.warning,
            counts.info
        );
        let _ = writeln!(page, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"label\">{}</text>", LABEL - 8.0, y + 15.0, esc(rule));
        let mut x = LABEL;
        for severity in Severity::ALL {
            let n = counts.count(severity);
            if n == 0 {
                continue;
            }
            // At least a sliver, so a single finding beside a million still shows.
            let w = (n as f64 / max * BAR).max(2.0);
            let _ = writeln!(page, "<rect x=\"{x:.1}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" class=\"bar-{severity}\"/>", y + 3.0, ROW - 8.0);
            x += w;
        }
        let _ = writeln!(page, "<text x=\"{:.1}\" y=\"{}\" class=\"count\">{}</text></g>", x + 6.0, y + 15.0, thousands(counts.total()));
    }
    page.push_str("</svg></section>\n");
}

/// The report's repairs, grouped by product and action, with the rules that call for them.
fn repairs(page: &mut String, repairs: &Repairs) -> Result<()> {
    let _ = writeln!(page, "<section id=\"repairs\"><h2>Repairs</h2>");
    if repairs.is_empty() {
        page.push_str("<p class=\"none\">No repairs proposed.</p></section>\n");
        return Ok(());
    }
    // The first of each group inline, the counts of all (the repairs stay on disk).
    let mut groups: BTreeMap<(String, String), Vec<RepairEntry>> = BTreeMap::new();
    repairs.for_each(|r| {
        let list = groups.entry((r.product.clone(), r.repair.action.clone())).or_default();
        if list.len() < INLINE_FINDINGS {
            list.push(r);
        }
        Ok(())
    })?;
    let _ = writeln!(page, "<p>{} repair(s) proposed; nothing is changed until <code>repocheck repair … --apply</code>.</p>", thousands(repairs.len()));
    for ((product, action), list) in &groups {
        let n = repairs.by_action.get(&(product.clone(), action.clone())).copied().unwrap_or(list.len() as u64);
        // The columns are the fields the group's repairs have, in the order first seen.
        let mut columns: Vec<&str> = Vec::new();
        for r in list {
            for k in r.repair.fields.keys() {
                if !columns.contains(&k.as_str()) {
                    columns.push(k);
                }
            }
        }
        let _ = writeln!(page, "<h3 class=\"repair-group\" data-product=\"{0}\" data-action=\"{1}\" data-n=\"{2}\">{0}: {1} ({3})</h3>", esc(product), esc(action), n, thousands(n));
        page.push_str("<table class=\"repairs\"><thead><tr>");
        for c in &columns {
            let _ = write!(page, "<th>{}</th>", esc(c));
        }
        page.push_str("<th>because</th></tr></thead><tbody>\n");
        for r in list {
            page.push_str("<tr class=\"repair\">");
            for c in &columns {
                let _ = write!(page, "<td><code>{}</code></td>", esc(&r.repair.fields.get(*c).map(value_text).unwrap_or_default()));
            }
            let because: Vec<String> = r.because.iter().map(|b| esc(b)).collect();
            let _ = writeln!(page, "<td>{}</td></tr>", because.join(", "));
        }
        page.push_str("</tbody></table>\n");
        if n as usize > list.len() {
            let _ = writeln!(page, "<p class=\"more\">and {} more: see the JSON report</p>", thousands(n - list.len() as u64));
        }
    }
    page.push_str("</section>\n");
    Ok(())
}

fn controls(page: &mut String) {
    page.push_str(
        "<div class=\"controls\"><label>Filter <input id=\"filter\" type=\"search\" placeholder=\"rule, subject, message, details\" autocomplete=\"off\"></label> \
<label>Sort <select id=\"sort\"><option value=\"found\">as found</option><option value=\"subject\">subject A→Z</option><option value=\"subject-desc\">subject Z→A</option><option value=\"severity\">severity</option></select></label> \
<span class=\"status\"><span id=\"shown-total\">…</span> finding(s) shown</span></div>\n",
    );
}

fn page_start(page: &mut String, title: &str) {
    let _ = writeln!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"generator\" content=\"repocheck\">\n<title>{}</title>\n<style>{STYLE}</style></head>\n<body>",
        esc(title)
    );
}

fn page_end(page: &mut String, note: &str) {
    let _ = writeln!(page, "<footer><p>{note}</p></footer>\n<script>{SCRIPT}</script>\n</body></html>");
}

const STYLE: &str = r#"
:root{--fg:#1d1d1f;--bg:#fff;--muted:#666;--line:#ddd;--head:#f4f4f6;--error:#c62828;--warning:#e08600;--info:#1565c0;--ok:#2e7d32}
@media (prefers-color-scheme:dark){:root{--fg:#e8e8ea;--bg:#17181a;--muted:#9a9aa0;--line:#3a3b3f;--head:#222327}}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1400px;padding:0 1.2em 2em}
h1{margin:.6em 0 .1em}h2{margin:1.4em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}
.meta,.stats,.note,footer{color:var(--muted)}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{white-space:pre-wrap;word-break:break-all;margin:.2em 0}
table{border-collapse:collapse;margin:.4em 0}
th,td{border:1px solid var(--line);padding:.25em .55em;text-align:left;vertical-align:top}
thead th{background:var(--head)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.subject,td code{word-break:break-all}
table.repairs,table.plan{width:100%}
.verdict{border-left:8px solid;padding:.2em 1em;margin-top:1em}
.verdict.pass{border-color:var(--ok)}.verdict.fail{border-color:var(--error)}
.verdict .word{font-weight:700}.verdict.pass .word{color:var(--ok)}.verdict.fail .word{color:var(--error)}
.exit{font-size:.7em;font-weight:400;color:var(--muted)}
.sev-error{color:var(--error);font-weight:600}.sev-warning{color:var(--warning);font-weight:600}.sev-info{color:var(--info)}
.bar-error{fill:var(--error)}.bar-warning{fill:var(--warning)}.bar-info{fill:var(--info)}
svg text{fill:var(--fg);font:12px ui-monospace,Menlo,Consolas,monospace}
.controls{position:sticky;top:0;background:var(--bg);padding:.5em 0;border-bottom:1px solid var(--line);z-index:1}
.controls input{width:22em}
.status{color:var(--muted);margin-left:1em}
details.rule{margin:.8em 0;border:1px solid var(--line);border-radius:4px;padding:.3em .6em}
details.rule>summary{cursor:pointer;font-weight:600}
details.rule table{width:100%}
.per,.match{font-weight:400;color:var(--muted)}
.match{display:none}body.filtering .match{display:inline}
.more{font-style:italic}
.ok{color:var(--ok);font-weight:700}
.owner{color:var(--muted);font-size:.9em}
ul.passed-rules{columns:2;list-style:none;padding-left:0}
[hidden]{display:none!important}
"#;

/// Filters (`#filter=text` or `?filter=text` on load, then the text box; the text is
/// looked for, ignoring case, in the rule, severity, subject, message and details) and sorts
/// (`#sort=subject|subject-desc|severity|found`) the findings of every rule section.
const SCRIPT: &str = r##"
(function () {
  "use strict";
  var input = document.getElementById("filter");
  var sort = document.getElementById("sort");
  if (!input || !sort) { return; }
  function params() {
    var out = {};
    var parts = (location.search.replace(/^\?/, "") + "&" + location.hash.replace(/^#/, "")).split("&");
    for (var i = 0; i < parts.length; i++) {
      if (!parts[i]) { continue; }
      var at = parts[i].indexOf("=");
      var key = at < 0 ? parts[i] : parts[i].slice(0, at);
      var value = at < 0 ? "" : parts[i].slice(at + 1);
      try { out[decodeURIComponent(key)] = decodeURIComponent(value.replace(/\+/g, " ")); } catch (e) { out[key] = value; }
    }
    return out;
  }
  function text(row) {
    var t = [];
    for (var i = 0; i < row.cells.length; i++) { t.push(row.cells[i].textContent); }
    return t.join("\n").toLowerCase();
  }
  function subject(row) { return row.cells[1].textContent; }
  var orders = {
    found: function (a, b) { return a.dataset.i - b.dataset.i; },
    subject: function (a, b) { return subject(a) < subject(b) ? -1 : subject(a) > subject(b) ? 1 : a.dataset.i - b.dataset.i; },
    "subject-desc": function (a, b) { return subject(a) < subject(b) ? 1 : subject(a) > subject(b) ? -1 : a.dataset.i - b.dataset.i; },
    severity: function (a, b) { return (b.dataset.sev - a.dataset.sev) || (a.dataset.i - b.dataset.i); }
  };
  function apply() {
    var needle = input.value.trim().toLowerCase();
    var order = orders[sort.value] || orders.found;
    var total = 0;
    var sections = document.querySelectorAll(".rule");
    for (var s = 0; s < sections.length; s++) {
      var section = sections[s];
      var body = section.querySelector("tbody");
      if (!body) { section.hidden = needle !== ""; continue; }
      var rule = (section.getAttribute("data-rule") || "").toLowerCase();
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(order);
      var shown = 0;
      for (var r = 0; r < rows.length; r++) {
        var hit = needle === "" || (rule + "\n" + text(rows[r])).indexOf(needle) >= 0;
        rows[r].hidden = !hit;
        if (hit) { shown++; }
        body.appendChild(rows[r]);
      }
      section.querySelector(".visible").textContent = shown;
      section.hidden = needle !== "" && shown === 0;
      total += shown;
    }
    document.getElementById("shown-total").textContent = total;
    document.body.classList.toggle("filtering", needle !== "");
  }
  function remember() {
    var h = [];
    if (input.value) { h.push("filter=" + encodeURIComponent(input.value)); }
    if (sort.value !== "found") { h.push("sort=" + sort.value); }
    try { history.replaceState(null, "", h.length ? "#" + h.join("&") : location.pathname + location.search); } catch (e) { /* file: pages may refuse */ }
  }
  var p = params();
  if (p.filter !== undefined) { input.value = p.filter; }
  if (p.sort !== undefined && orders[p.sort]) { sort.value = p.sort; }
  var timer = null;
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { apply(); remember(); }, 120); });
  sort.addEventListener("change", function () { apply(); remember(); });
  apply();
  document.documentElement.setAttribute("data-script", "ready");
})();
"##;

/// A JSON value as text: strings as they are, anything else as compact JSON.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// `12345` as `12,345`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(12345), "12,345");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn a_plan_renders_one_escaped_row_per_unit_and_tolerates_odd_fields() {
        let plan: Vec<Value> = vec![
            serde_json::json!({"product":"fossology","unit":"upload","key":"12","title":"upload 12 (<b>openssl</b>.tar.gz)","severity":"error","findings":{"fossology/file-missing":214},"bytes":123456,"action":"re-unpack upload 12","repairs":[{"action":"reunpack","upload":12}]}),
            serde_json::json!({"product":"js7","unit":"agent","key":7,"findings":"odd","bytes":"many","owner":"ops <team>","repairs":[{"action":"x"}],"repairs_total":12}),
        ];
        let mut out = Vec::new();
        write_plan(&mut out, &plan).unwrap();
        let html = String::from_utf8(out).unwrap();
        assert_eq!(html.matches("<tr class=\"unit\"").count(), 2);
        assert!(html.contains("upload 12 (&lt;b&gt;openssl&lt;/b&gt;.tar.gz)"), "{html}");
        assert!(html.contains("120.6 KiB") && html.contains("<code>fossology/file-missing</code> 214"), "{html}");
        assert!(html.contains("<summary>1 of 12</summary>") && html.contains("owner ops &lt;team&gt;"), "{html}");
        let mut empty = Vec::new();
        write_plan(&mut empty, &[]).unwrap();
        assert!(empty.is_empty());
    }
}
