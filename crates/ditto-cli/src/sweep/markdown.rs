//! `report.md`.

use std::fmt::Write as _;

use super::Report;

pub(super) fn markdown(r: &Report) -> String {
    let mut md = String::new();
    let g = &r.grid;
    let _ = writeln!(md, "# ditto sweep: {}\n", r.example);
    let _ = writeln!(
        md,
        "Grid: seeds {:?}, threads {:?}, workers {:?}, SIMD {:?}, backends {:?}, modes {:?}, \
         peers {:?}, accumulate {:?}{}; {} cells.\n",
        g.seeds,
        g.threads,
        g.workers,
        g.simd,
        g.backends,
        g.modes,
        g.peers,
        g.accumulate,
        g.max_steps
            .map_or(String::new(), |m| format!(", {m} steps")),
        r.cells.len()
    );
    if !r.failed.is_empty() {
        let _ = writeln!(md, "**Failed cells:** {}\n", r.failed.join(", "));
    }
    let _ = writeln!(
        md,
        "## Legitimate variation: across seeds\n\n![test accuracy per seed](accuracy.svg)\n"
    );
    let _ = writeln!(
        md,
        "| mode | accuracy mean | std | min | max | loss mean | loss std |\n|---|---|---|---|---|---|---|"
    );
    for (mode, s) in &r.seeds {
        let _ = writeln!(
            md,
            "| {mode} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} |",
            s.accuracy.mean,
            s.accuracy.std,
            s.accuracy.min,
            s.accuracy.max,
            s.loss.mean,
            s.loss.std
        );
    }
    let _ = writeln!(
        md,
        "\n## Variation that must be zero: same seed, other threads / workers / SIMD level / backend / peers / accumulate\n"
    );
    let _ = writeln!(
        md,
        "Each entry compares the final weights with the reference cell (first value of every \
         factor) of the same seed and mode: `=` is bitwise identical, otherwise the max ULP \
         difference of any weight and the change in test accuracy.\n"
    );
    for (mode, factors) in &r.drift {
        let verdict = if r.zero_drift.get(mode).copied().unwrap_or(false) {
            "zero drift"
        } else {
            "DRIFT"
        };
        let _ = writeln!(md, "### mode `{mode}`: {verdict}\n");
        if factors.is_empty() {
            let _ = writeln!(md, "(no non-seed factor has two values)\n");
        }
        for (factor, rows) in factors {
            let Some(first) = rows.first() else { continue };
            let _ = writeln!(
                md,
                "| {factor} vs {} | {} |\n|---|{}",
                first.reference,
                first
                    .values
                    .iter()
                    .map(|v| v.value.clone())
                    .collect::<Vec<_>>()
                    .join(" | "),
                "---|".repeat(first.values.len())
            );
            for row in rows {
                let cells: Vec<String> = row
                    .values
                    .iter()
                    .map(|v| {
                        if v.identical {
                            "=".to_owned()
                        } else {
                            format!("{} ULP, Δacc {:+.4}", v.max_ulp, v.accuracy_delta)
                        }
                    })
                    .collect();
                let _ = writeln!(md, "| seed {} | {} |", row.seed, cells.join(" | "));
            }
            let _ = writeln!(md);
        }
    }
    let _ = writeln!(
        md,
        "## Determinism overhead\n\n| mode | median step time | ratio to `off` |\n|---|---|---|"
    );
    for (mode, o) in &r.overhead {
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
        "\nStep times are medians over each run's logging intervals (evaluation included) and \
         depend on what else the machine ran; the bitwise results do not."
    );
    md
}
