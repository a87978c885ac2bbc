//! `report.md`: the report of a sweep for people.

use std::fmt::Write as _;

use crate::sweep::axis::Role;
use crate::sweep::report::SweepReport;
use crate::sweep::verdict::Verdict;

impl SweepReport {
    /// Class: not applicable. The report as Markdown: the grid, each metric's mean, spread and
    /// interval per setting (method named), the variance decomposition per mode (method
    /// named), the promise verdicts per environment axis, and step times.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# ditto sweep: {}\n", self.title);
        let grid: Vec<String> = self
            .axes
            .iter()
            .map(|a| format!("{} {:?}", a.name, a.values))
            .collect();
        let _ = writeln!(
            md,
            "Grid: {}; {} cells{}.\n",
            grid.join(", "),
            self.cells,
            if self.failed.is_empty() {
                String::new()
            } else {
                format!(", {} failed", self.failed.len())
            }
        );
        if self.machines.len() > 1 {
            let _ = writeln!(md, "Machines (merged sweeps):\n");
            for m in &self.machines {
                let _ = writeln!(md, "- `{}`: {} ({})", m.label, m.description, m.dir);
            }
            let _ = writeln!(md);
        } else if let Some(m) = self.machines.first() {
            let _ = writeln!(md, "Machine: {}.\n", m.description);
        }
        for f in &self.failed {
            let _ = writeln!(md, "**Failed cell** `{}`: {}\n", f.id, f.error);
        }
        self.stats_section(&mut md);
        self.decomposition_section(&mut md);
        self.promise_section(&mut md);
        self.overhead_section(&mut md);
        md
    }

    fn stats_section(&self, md: &mut String) {
        let _ = writeln!(
            md,
            "## Metrics over the seeds\n\nMethod: {}.\n",
            self.stats_method
        );
        let cols: Vec<&str> = self
            .axes
            .iter()
            .filter(|a| a.kind.role() != Role::Randomness && a.name != "mode")
            .map(|a| a.name.as_str())
            .collect();
        let _ = writeln!(
            md,
            "| mode | {}metric | n | mean | std | 95% CI | min | max |\n|---|{}---|---|---|---|---|---|---|",
            cols.iter().map(|c| format!("{c} | ")).collect::<String>(),
            "---|".repeat(cols.len())
        );
        for s in &self.stats {
            for (metric, v) in &s.metrics {
                let ci = v.ci95.map_or("n/a (one run)".to_owned(), |[lo, hi]| {
                    format!("[{lo:.4}, {hi:.4}]")
                });
                let _ = writeln!(
                    md,
                    "| {} | {}{metric} | {} | {:.4} | {:.4} | {ci} | {:.4} | {:.4} |",
                    s.setting.get("mode").map_or("", String::as_str),
                    cols.iter()
                        .map(|c| format!("{} | ", s.setting.get(*c).map_or("", String::as_str)))
                        .collect::<String>(),
                    v.n,
                    v.mean,
                    v.std,
                    v.min,
                    v.max
                );
            }
        }
        let _ = writeln!(md);
    }

    fn decomposition_section(&self, md: &mut String) {
        let _ = writeln!(
            md,
            "## Where the spread comes from\n\nMethod: {}.\n",
            self.anova_method
        );
        for d in &self.decompositions {
            let within: Vec<String> = d.within.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            let within = if within.is_empty() {
                String::new()
            } else {
                format!(", within {}", within.join(", "))
            };
            let _ = write!(md, "### mode `{}`, {}{within}\n\n", d.mode, d.metric);
            let Some(r) = &d.result else {
                let _ = writeln!(
                    md,
                    "Not computed: {}.\n",
                    d.note.as_deref().unwrap_or("no full grid")
                );
                continue;
            };
            let _ = writeln!(
                md,
                "{} runs, grand mean {:.6}, total sum of squares {:.6e}.\n",
                r.n, r.grand_mean, r.total_ss
            );
            let _ = writeln!(
                md,
                "| factor | levels | df | sum of squares | share |\n|---|---|---|---|---|"
            );
            for e in r.effects.iter().chain(std::iter::once(&r.residual)) {
                let levels = if e.levels == 0 {
                    String::new()
                } else {
                    e.levels.to_string()
                };
                let _ = writeln!(
                    md,
                    "| {} | {levels} | {} | {:.6e} | {:.1}% |",
                    e.factor,
                    e.df,
                    e.ss,
                    100.0 * e.share
                );
            }
            let _ = writeln!(md);
        }
    }

    fn promise_section(&self, md: &mut String) {
        let _ = writeln!(
            md,
            "## Promises: same seeds and hyperparameters, another environment\n\n\
             Every two cells that differ only in environment axes (threads, workers, peers, \
             SIMD level, backend, machine) are compared bit for bit and judged against what \
             their mode promises for the factors in which the two runs' recorded environments \
             differ (REPRODUCIBILITY.md, \"What each mode promises when the environment \
             changes\"): **BROKEN PROMISE** where the mode promised the same bits, *expected \
             (not promised)* where it did not.\n"
        );
        for (mode, v) in &self.verdicts {
            let _ = writeln!(
                md,
                "### mode `{mode}`: {}\n\n{} pairs: {} identical, {} differ where not promised, \
                 {} broken promises.\n",
                v.word(),
                v.pairs,
                v.identical,
                v.expected,
                v.broken
            );
            for (axis, rows) in self.drift.get(mode).into_iter().flatten() {
                let Some(first) = rows.first() else { continue };
                let heads: Vec<&str> = first.values.iter().map(|v| v.value.as_str()).collect();
                let _ = writeln!(
                    md,
                    "| {axis} vs {} | {} |\n|---|{}",
                    first.reference,
                    heads.join(" | "),
                    "---|".repeat(heads.len())
                );
                for row in rows {
                    let cells: Vec<String> = row
                        .values
                        .iter()
                        .map(|c| {
                            let ulp = c.max_ulp.map_or("? ULP".to_owned(), |u| format!("{u} ULP"));
                            match c.verdict {
                                Verdict::Identical => "=".to_owned(),
                                Verdict::Broken => format!("**BROKEN PROMISE**: {ulp}"),
                                Verdict::Expected => format!("{ulp}: expected (not promised)"),
                            }
                        })
                        .collect();
                    let _ = writeln!(md, "| {} | {} |", row.group, cells.join(" | "));
                }
                let _ = writeln!(md);
            }
            for p in self
                .differences
                .iter()
                .filter(|p| p.mode.name() == mode.as_str())
            {
                let word = match p.verdict {
                    Verdict::Broken => "**BROKEN PROMISE**",
                    _ => "expected (not promised)",
                };
                let _ = writeln!(
                    md,
                    "- `{}` vs `{}` ({}): {word}, {}; {}",
                    p.a,
                    p.b,
                    p.differs_in.join(", "),
                    p.max_ulp
                        .map_or("ULP distance unknown".to_owned(), |u| format!("{u} ULP")),
                    p.why
                );
            }
            let _ = writeln!(md);
        }
    }

    fn overhead_section(&self, md: &mut String) {
        let _ = writeln!(
            md,
            "## Step time\n\n| mode | median step time | ratio to `off` |\n|---|---|---|"
        );
        for (mode, o) in &self.overhead {
            let _ = writeln!(
                md,
                "| {mode} | {} | {} |",
                o.median_step_ms
                    .map_or("n/a".into(), |t| format!("{t:.3} ms")),
                o.ratio_to_off.map_or("n/a".into(), |x| format!("{x:.3}"))
            );
        }
        let _ = writeln!(
            md,
            "\nStep times are medians over each run's logging intervals (evaluations included) \
             and depend on what else the machine ran; the bits do not."
        );
    }
}
