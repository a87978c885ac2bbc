//! The sections on where a run was made and checked: its environment, what was verified
//! where, and how to reproduce it.

use super::{Block, Section, Table, code, pairs, text};
use crate::attest::{Reproduce, Statement};
use crate::env_check::EnvFacts;

pub(super) fn environment(s: &Statement) -> Section {
    let m = &s.environment;
    let p = &m.provenance;
    // Fields a newer or older ditto may or may not record are read through `EnvFacts`.
    let f = EnvFacts::of_manifest(m).unwrap_or_default();
    let opt = |v: Option<String>| v.map_or(text("not recorded"), code);
    let mut rows = vec![
        ("ditto", code(&p.ditto_version)),
        ("Burn", code(&p.burn_version)),
        (
            "canonical spec version",
            opt(p.canonical_spec_version.map(|v| v.to_string())),
        ),
        ("rustc", code(&p.rustc_version)),
        ("target", code(&p.target)),
        (
            "OS",
            code(match &p.os_version {
                Some(v) => format!("{} ({v})", p.os),
                None => p.os.clone(),
            }),
        ),
        ("kernel release", opt(p.kernel_release.clone())),
        ("CPU vendor", opt(p.cpu_vendor.clone())),
        ("CPU model", opt(p.cpu_model.clone())),
        ("CPU features", code(p.cpu_features.join(" "))),
        (
            "ditto kernels' instruction set",
            opt(f.kernel_isa.map(|v| v.0)),
        ),
        ("matmul instruction set", opt(f.matmul_isa.map(|v| v.0))),
        ("backend", code(&p.backend)),
        ("device", code(&p.device)),
        (
            "GPU adapter",
            p.gpu
                .as_ref()
                .map_or(text("none (not a GPU run, or not readable)"), |g| {
                    code(g.describe())
                }),
        ),
        ("threads", text(p.threads.to_string())),
        (
            "Cargo.lock of ditto's build (BLAKE3)",
            code(&p.cargo_lock_blake3),
        ),
    ];
    if let Some(path) = &p.cargo_lock_path {
        rows.push(("that Cargo.lock", code(path)));
    }
    match &p.project {
        Some(pr) => {
            rows.push(("project", code(format!("{} {}", pr.name, pr.version))));
            rows.push(("project source", code(&pr.dir)));
            rows.push((
                "project Cargo.lock (BLAKE3)",
                opt(pr.cargo_lock_blake3.clone()),
            ));
        }
        None => rows.push(("project", text("not named by the program"))),
    }
    rows.push(("git commit", opt(p.git_commit.clone())));
    rows.push((
        "uncommitted changes",
        text(match p.git_dirty {
            Some(true) => "yes",
            Some(false) => "no",
            None => "not known",
        }),
    ));
    if let Some(prog) = &m.program {
        rows.push(("program", code(prog.command_line())));
        rows.push(("executable", code(&prog.exe)));
        rows.push(("executable BLAKE3", opt(prog.exe_blake3.clone())));
    }
    Section {
        title: "Environment",
        blocks: vec![
            Block::Para(
                "As manifest.json records it (the last process that trained in the run \
                 directory)."
                    .into(),
            ),
            pairs(rows),
        ],
    }
}

pub(super) fn verified(s: &Statement) -> Section {
    if s.verifications.is_empty() {
        return Section {
            title: "What was verified where",
            blocks: vec![Block::Para(
                "Nothing yet. `ditto replay` of the run directory and `ditto attest --verify` \
                 of this statement record each outcome in the run directory's \
                 verifications.jsonl, which this section lists."
                    .into(),
            )],
        };
    }
    let rows = s
        .verifications
        .iter()
        .map(|v| {
            let diffs: Vec<&str> = v.environment_differences.iter().map(|f| f.name()).collect();
            vec![
                text(utc(v.at_unix_s)),
                text(v.kind.name()),
                text(v.verdict.name()),
                text(v.machine.describe()),
                text(if diffs.is_empty() {
                    "none".to_owned()
                } else {
                    diffs.join(", ")
                }),
                text(if v.identity_owed { "yes" } else { "no" }),
                text(&v.detail),
            ]
        })
        .collect();
    Section {
        title: "What was verified where",
        blocks: vec![Block::Table(Table {
            head: vec![
                "when (UTC)",
                "check",
                "verdict",
                "machine",
                "environment differences",
                "same bits owed",
                "detail",
            ],
            rows,
        })],
    }
}

pub(super) fn reproduce(s: &Statement) -> Section {
    let title = "How to reproduce and check";
    match &s.reproduce {
        Reproduce::Replay { command } => Section {
            title,
            blocks: vec![
                Block::Para(
                    "ditto built this model from the config, so the statement replays itself. \
                     Save it as JSON (`ditto attest RUN --json > STATEMENT.json`), then, on \
                     any machine with ditto:"
                        .into(),
                ),
                Block::Code("sh", command.clone()),
                Block::Para(
                    "It checks the data against the recorded hashes, trains the recorded \
                     config in a fresh directory, and confirms every claim above or prints \
                     both values of each that differs (exit 1), with how that machine's \
                     environment differs and whether the run's mode owes the same bits \
                     across it."
                        .into(),
                ),
            ],
        },
        Reproduce::Program {
            command_line,
            exe,
            exe_blake3,
            cwd,
            project,
            git_commit,
            git_dirty,
            cargo_lock_blake3,
            then,
        } => {
            let opt = |v: &Option<String>| v.clone().map_or(text("not recorded"), code);
            let mut rows = vec![
                ("executable", opt(exe)),
                ("executable BLAKE3", opt(exe_blake3)),
                ("working directory", opt(cwd)),
            ];
            if let Some(p) = project {
                rows.push((
                    "project",
                    code(format!("{} {} ({})", p.name, p.version, p.dir)),
                ));
                rows.push(("project Cargo.lock (BLAKE3)", opt(&p.cargo_lock_blake3)));
            }
            rows.push(("git commit", opt(git_commit)));
            rows.push((
                "uncommitted changes",
                text(match git_dirty {
                    Some(true) => "yes: the commit alone does not give the source",
                    Some(false) => "no",
                    None => "not known",
                }),
            ));
            rows.push((
                "Cargo.lock of ditto's build (BLAKE3)",
                code(cargo_lock_blake3),
            ));
            Section {
                title,
                blocks: vec![
                    Block::Para(
                        "A program built this model and gave it to ditto's trainer: the \
                         config alone does not build it. Build the program from its project \
                         at the commit below and run it again, with an output directory of \
                         its own in place of this run's:"
                            .into(),
                    ),
                    Block::Code(
                        "sh",
                        command_line
                            .clone()
                            .unwrap_or_else(|| "(command line not recorded)".into()),
                    ),
                    pairs(rows),
                    Block::Para(
                        "Then check this statement (saved with `ditto attest RUN --json > \
                         STATEMENT.json`) against the new run's directory; every claim is \
                         confirmed or printed with both values (exit 1):"
                            .into(),
                    ),
                    Block::Code("sh", then.clone()),
                ],
            }
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of a Unix time (days to a civil date as in Howard Hinnant's
/// `civil_from_days`).
fn utc(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn unix_times_print_as_utc_dates() {
        // Python's datetime.utcfromtimestamp gives these.
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20");
        assert_eq!(utc(4_102_444_799), "2099-12-31 23:59:59");
    }
}
