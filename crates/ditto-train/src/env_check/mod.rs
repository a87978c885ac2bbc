//! The environment check: a run's recorded environment against another (this machine now, or
//! a rerun's), one row per difference, each judged against what every mode promises for that
//! factor (`rules.rs`, the table of REPRODUCIBILITY.md). What `ditto env --check` prints, and
//! `ditto resume`, `replay` and `attest --verify` print when the environment differs.

mod factor;
mod facts;
mod rules;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::config::Mode;
use crate::model_record::ModelOrigin;
use crate::provenance::Project;
pub use factor::Factor;
pub(crate) use facts::read_model;
pub use facts::{EnvFacts, Environment, RunFacts, Shown};
pub use rules::Promise;

/// Class: not applicable (a comparison of records). One factor whose value differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvRow {
    /// The factor.
    pub factor: Factor,
    /// Its value in the run's record (`None`: not recorded).
    pub run: Option<String>,
    /// Its value here (`None`: not known).
    pub here: Option<String>,
    /// What canonical mode promises across the difference.
    pub canonical: Promise,
    /// What run-to-run mode promises across it.
    pub run_to_run: Promise,
}

/// Class: not applicable (a comparison of records). A run's environment against another:
/// every difference, and whether the run's mode owes the same bits across all of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvCheck {
    /// The run's mode: the promise being checked.
    pub mode: Mode,
    /// Every factor that differs, in [`Factor::ALL`]'s order.
    pub rows: Vec<EnvRow>,
    /// What the rows cannot show (e.g. a project whose source had uncommitted changes, whose
    /// commit therefore does not identify it).
    pub notes: Vec<String>,
}

impl EnvCheck {
    /// Class: not applicable. Compares `run` (the run's record) with `here`, for a run in
    /// `mode` whose model came from `origin`.
    pub fn compare(
        run: &Environment,
        here: &Environment,
        mode: Mode,
        origin: Option<ModelOrigin>,
    ) -> Self {
        let cx = rules::RuleCx { run, here, origin };
        let mut rows = Vec::new();
        let mut unknown_here = Vec::new();
        for factor in Factor::ALL {
            let (a, b) = (factor.value(run), factor.value(here));
            if a == b {
                continue;
            }
            if b.is_none() {
                // Recorded by the run, not known to this check (a library run's build,
                // checked by the `ditto` binary): nothing to compare, and the note says so.
                unknown_here.push(factor.name());
                continue;
            }
            if factor.needs_both() && a.is_none() {
                continue;
            }
            let (mut canonical, mut run_to_run) = rules::judge(factor, &cx);
            if a.is_none() {
                // Not recorded: a promise that holds across any value still holds; one that a
                // change would break cannot be confirmed.
                for p in [&mut canonical, &mut run_to_run] {
                    if let Promise::NotOwed(why) = p {
                        *why =
                            format!("the run did not record it, so it cannot be confirmed; {why}");
                    }
                }
            }
            rows.push(EnvRow {
                factor,
                run: a,
                here: b,
                canonical,
                run_to_run,
            });
        }
        let mut notes = Vec::new();
        if !unknown_here.is_empty() {
            notes.push(format!(
                "not compared: {} (recorded by the run, not known here: this ditto does not \
                 record them, or, for a model a program built, they are that program's build's, \
                 which its rerun records)",
                unknown_here.join(", ")
            ));
        }
        fn dirty(env: &Environment) -> Option<&Project> {
            (env.facts.git_dirty == Some(true))
                .then_some(env.facts.project.as_ref())
                .flatten()
        }
        let sides = match (dirty(run), dirty(here)) {
            (Some(p), Some(_)) => Some((p, "the run's and this process's project")),
            (Some(p), None) => Some((p, "the run's project")),
            (None, Some(p)) => Some((p, "this process's project")),
            (None, None) => None,
        };
        if let Some((p, side)) = sides {
            notes.push(format!(
                "{side} `{}` had uncommitted changes: its commit does not identify its source",
                p.name
            ));
        }
        Self { mode, rows, notes }
    }

    /// Class: not applicable. Whether the environments differ at all.
    pub fn differs(&self) -> bool {
        !self.rows.is_empty()
    }

    /// Class: not applicable. Whether `mode` owes the same bits across every difference
    /// (mode `off` never does).
    pub fn owed_by(&self, mode: Mode) -> bool {
        self.blocking(mode).is_empty() && mode != Mode::Off
    }

    /// Class: not applicable. Whether the run's own mode owes the same bits here: what
    /// `ditto env --check` exits 0 for.
    pub fn identity_owed(&self) -> bool {
        self.owed_by(self.mode)
    }

    /// Class: not applicable. The rows across which `mode` does not owe the same bits (for
    /// mode `off`: every row).
    pub fn blocking(&self, mode: Mode) -> Vec<&EnvRow> {
        self.rows
            .iter()
            .filter(|r| match mode {
                Mode::Canonical => !r.canonical.is_owed(),
                Mode::RunToRun => !r.run_to_run.is_owed(),
                Mode::Off => true,
            })
            .collect()
    }

    /// Class: not applicable. One sentence on `mode`'s promise across these differences.
    pub fn verdict(&self, mode: Mode) -> String {
        if mode == Mode::Off {
            return "mode off (plain Burn) promises no identity, not even on the same machine"
                .to_owned();
        }
        let blocking = self.blocking(mode);
        if self.rows.is_empty() {
            return format!("{mode}: the same bits are owed (no difference)");
        }
        if blocking.is_empty() {
            return format!(
                "{mode}: the same bits are owed: the mode promises identity across every \
                 difference above"
            );
        }
        let names: Vec<&str> = blocking.iter().map(|r| r.factor.name()).collect();
        format!(
            "{mode}: the same bits are NOT owed: the mode does not promise identity across {}",
            names.join(", ")
        )
    }
}

impl fmt::Display for EnvCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not recorded)".into());
        if self.rows.is_empty() {
            writeln!(f, "no difference from the run's recorded environment")?;
        } else {
            writeln!(
                f,
                "{} difference{} from the run's recorded environment:",
                self.rows.len(),
                if self.rows.len() == 1 { "" } else { "s" }
            )?;
        }
        for r in &self.rows {
            writeln!(f, "  {}", r.factor.name())?;
            writeln!(f, "    run:  {}", show(&r.run))?;
            writeln!(f, "    here: {}", show(&r.here))?;
            for (mode, p) in [("canonical", &r.canonical), ("run-to-run", &r.run_to_run)] {
                let word = if p.is_owed() {
                    "owed"
                } else {
                    "may change the bits"
                };
                writeln!(f, "    {mode}: {word}: {}", p.why())?;
            }
        }
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        for mode in [Mode::Canonical, Mode::RunToRun] {
            let mark = if mode == self.mode {
                " (this run's mode)"
            } else {
                ""
            };
            let verdict = self.verdict(mode);
            let rest = verdict.strip_prefix(mode.name()).unwrap_or(&verdict);
            writeln!(f, "{mode}{mark}{rest}")?;
        }
        if self.mode == Mode::Off {
            writeln!(f, "{} (this run's mode)", self.verdict(Mode::Off))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
