//! `ditto attest --verify FILE`: a statement checked on this machine, claim by claim: its data
//! against the files before anything is trained, then its result, model, seeds and data
//! against a replay of its config, or against a run directory given with `--run` (a rerun
//! made by the run's program, or a copy of the run). The outcome is recorded in the attested
//! run's directory when it is still there.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ditto_train::{
    ClaimCheck, EnvCheck, EnvFacts, Environment, ModelOrigin, Reproduce, RunFacts, Statement,
    Verification, VerificationKind,
};

use crate::cmd::Res;

/// Checks the statement in `file`; see the module's doc.
pub(crate) fn verify(
    file: &Path,
    rerun: Option<&Path>,
    out: Option<&Path>,
    data_dir: Option<&Path>,
) -> Res<ExitCode> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let s = Statement::parse(&text, Some(file))?;
    let config = s.config()?;
    let origin = s.origin();
    let recorded = Environment::new(EnvFacts::of_manifest(&s.environment)?, &config);
    println!("statement: {} ({})", file.display(), describe(&s));
    let (claims, check, here, dir) = match rerun {
        Some(dir) => {
            let other = Statement::of_run(dir)?;
            let facts = RunFacts::read(dir)?;
            let check = EnvCheck::compare(&recorded, &facts.env, s.mode, Some(origin));
            let here = crate::cmd::here::here(&config, Some(origin))?;
            (
                s.check_against(&other, true),
                check,
                here,
                dir.to_path_buf(),
            )
        }
        None => {
            if let Reproduce::Program { then, .. } = &s.reproduce {
                return Err(format!(
                    "a program built this run's model, so ditto cannot replay it: run the \
                     program again (the statement's \"How to reproduce\" says how), then \
                     `{then}`"
                )
                .into());
            }
            let data = s.check_data(data_dir);
            if !data.holds() {
                print!("{data}");
                println!(
                    "REFUSED: the data does not match the statement ({} claim{} differ); \
                     nothing was trained",
                    data.differ.len(),
                    if data.differ.len() == 1 { "" } else { "s" }
                );
                record(
                    &s,
                    false,
                    "the data does not match the statement",
                    None,
                    None,
                );
                return Ok(ExitCode::from(1));
            }
            let cfg = crate::cmd::relocated(config.clone(), data_dir)?;
            let (here, check) = crate::cmd::here::check(&recorded, Some(origin), &cfg)?;
            let out = out.map_or_else(|| default_out(file), Path::to_path_buf);
            if out.join("trace.jsonl").exists() {
                return Err(
                    format!("{} already holds a run; pass another --out", out.display()).into(),
                );
            }
            let summary = crate::cmd::train(&cfg, None, &out, None, None, false)?;
            crate::cmd::report(&summary, &out);
            let replay = Statement::of_run(&out)?;
            let mut claims = data;
            claims.extend(s.check_against(&replay, data_dir.is_none()));
            (claims, check, here, out)
        }
    };
    if check.differs() || !check.notes.is_empty() {
        print!("environment: {check}");
    }
    print!("{claims}");
    let holds = claims.holds();
    if holds {
        println!(
            "CONFIRMED: every claim compared holds ({} confirmed{})",
            claims.confirmed.len(),
            match claims.skipped.len() {
                0 => String::new(),
                n => format!(", {n} not compared, listed above"),
            }
        );
    } else {
        let n = claims.differ.len();
        println!(
            "DIFFERENT: {n} claim{} of the statement {} not hold",
            if n == 1 { "" } else { "s" },
            if n == 1 { "does" } else { "do" }
        );
        crate::cmd::here::print_owed(&check, false);
    }
    record(
        &s,
        holds,
        &detail(&claims),
        Some((&here.provenance, &check)),
        Some(&dir),
    );
    Ok(if holds {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn describe(s: &Statement) -> String {
    let built = match s.origin() {
        ModelOrigin::Config => "a model ditto built from the config",
        ModelOrigin::Program => "a model a program built",
    };
    format!(
        "seed {}, mode {}, backend {}, {built}, {} steps",
        s.seed, s.mode, s.backend, s.result.steps
    )
}

fn detail(c: &ClaimCheck) -> String {
    match c.differ.first() {
        None => format!("{} claims confirmed", c.confirmed.len()),
        Some(d) => format!("{} claims differ; first: {d}", c.differ.len()),
    }
}

/// `FILE-replay` beside the statement.
fn default_out(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push("-replay");
    PathBuf::from(name)
}

/// Appends the outcome to the attested run's `verifications.jsonl`, when that directory
/// still holds the run the statement names.
fn record(
    s: &Statement,
    holds: bool,
    detail: &str,
    env: Option<(&ditto_train::Provenance, &EnvCheck)>,
    rerun: Option<&Path>,
) {
    let dir = Path::new(&s.run_dir);
    let same_run = RunFacts::read(dir).is_ok()
        && ditto_train::Manifest::read(dir)
            .ok()
            .flatten()
            .is_some_and(|m| m.run_id == s.run_id);
    if !same_run {
        return;
    }
    let owned;
    let (provenance, check) = match env {
        Some(pc) => pc,
        None => {
            let Ok(config) = s.config() else { return };
            let Ok(here) = crate::cmd::here::here(&config, Some(s.origin())) else {
                return;
            };
            let Ok(recorded) = EnvFacts::of_manifest(&s.environment) else {
                return;
            };
            let recorded = Environment::new(recorded, &config);
            let check = EnvCheck::compare(&recorded, &here.env, s.mode, Some(s.origin()));
            owned = (here.provenance, check);
            (&owned.0, &owned.1)
        }
    };
    let v = Verification::new(
        VerificationKind::AttestVerify,
        holds,
        detail,
        provenance,
        check,
        rerun,
    );
    crate::cmd::here::record(&v, dir);
}
