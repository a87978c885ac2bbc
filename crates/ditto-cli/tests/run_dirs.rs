//! Run directories never lose a run: a fresh run into a directory holding one is refused and
//! writes nothing; `--force` replaces it as a whole; `resume` and pruning never mix runs.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{ditto, fingerprint, ok};
use ditto_train::{Checkpoint, RunId, TrainConfig};

/// Every file under `dir` with its bytes (the lock file aside, which only exists while a
/// process writes).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

fn step_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn state_of(path: &Path) -> ditto_train::RunState {
    Checkpoint::read(path).unwrap().run_state().unwrap()
}

#[test]
fn a_second_run_into_the_same_directory_is_refused_or_replaces_it_whole() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path().join("r");
    let rs = r.to_str().unwrap();
    // The whole first run: 880 steps, checkpoints every 200, the newest three kept.
    let first = fingerprint(&ok(&[
        "train",
        "--example",
        "digits-mlp",
        "--seed",
        "1",
        "--out",
        rs,
    ]));
    assert_eq!(
        step_files(&r),
        [
            "step-00000400.safetensors",
            "step-00000600.safetensors",
            "step-00000800.safetensors"
        ]
    );
    let before = snapshot(&r);

    // A second run into it: refused, naming what is there, and nothing written.
    let out = ditto(&[
        "train",
        "--example",
        "digits-mlp",
        "--seed",
        "2",
        "--max-steps",
        "100",
        "--out",
        rs,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already holds a run"), "{err}");
    assert!(err.contains("final.safetensors"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(snapshot(&r), before, "the refused run wrote something");

    // With --force: the directory holds the second run only.
    let second = fingerprint(&ok(&[
        "train",
        "--example",
        "digits-mlp",
        "--seed",
        "2",
        "--max-steps",
        "100",
        "--force",
        "--out",
        rs,
    ]));
    assert_ne!(second, first);
    assert!(step_files(&r).is_empty(), "{:?}", step_files(&r));
    let cfg =
        TrainConfig::from_toml(&std::fs::read_to_string(r.join("config.toml")).unwrap()).unwrap();
    assert_eq!((cfg.seed, cfg.max_steps), (2, Some(100)));
    let fin = state_of(&r.join("final.safetensors"));
    assert_eq!((fin.step, fin.config.seed), (100, 2));
    assert_eq!(fin.run_id, Some(RunId::derive(&fin.config).unwrap()));
    let mut names: Vec<String> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["r"],
        "the replaced run or the new one's staging is left"
    );
    // The same bits as the second run trained into a fresh directory.
    let fresh = t.path().join("fresh");
    let alone = fingerprint(&ok(&[
        "train",
        "--example",
        "digits-mlp",
        "--seed",
        "2",
        "--max-steps",
        "100",
        "--out",
        fresh.to_str().unwrap(),
    ]));
    assert_eq!(alone, second);
    // Same seed and config, same identity: the checkpoints are byte-identical.
    assert_eq!(
        std::fs::read(r.join("final.safetensors")).unwrap(),
        std::fs::read(fresh.join("final.safetensors")).unwrap()
    );
}

#[test]
fn resume_and_pruning_touch_only_the_directorys_own_run() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    let stop = |seed: &str, at: &str, out: &Path| {
        ok(&[
            "train",
            "--example",
            "digits-mlp",
            "--seed",
            seed,
            "--stop-at",
            at,
            "--out",
            out.to_str().unwrap(),
        ])
    };
    // Run A stopped at step 400 (checkpoints 200 and 400), run B at 250 (checkpoint 200).
    stop("1", "400", &a);
    stop("2", "250", &b);
    // A checkpoint of run A lands in B's directory (a copy by hand, or a run from an older
    // ditto): newer than anything of B's.
    let stray = b.join("checkpoints/step-00000400.safetensors");
    std::fs::copy(a.join("checkpoints/step-00000400.safetensors"), &stray).unwrap();
    let stray_bytes = std::fs::read(&stray).unwrap();

    // `resume` continues B from its own step 250, never A's 400.
    let resume = |to: &str| {
        let out = ditto(&["resume", b.to_str().unwrap(), "--max-steps", to]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        err
    };
    let err = resume("350");
    assert!(err.contains("last.safetensors at step 250"), "{err}");
    assert_eq!(state_of(&b.join("last.safetensors")).step, 350);
    assert_eq!(std::fs::read(&stray).unwrap(), stray_bytes);

    // A's checkpoint under a name that sorts before all of B's (pruning removes the oldest
    // names first). Resuming to 850 writes B's 400, 600 and 800 and prunes B's own oldest
    // (keep 3), never A's file; and it resumes from B's 350, not A's step 400.
    let early = b.join("checkpoints/step-00000001.safetensors");
    std::fs::rename(&stray, &early).unwrap();
    let err = resume("850");
    assert!(err.contains("last.safetensors at step 350"), "{err}");
    assert_eq!(
        step_files(&b),
        [
            "step-00000001.safetensors",
            "step-00000400.safetensors",
            "step-00000600.safetensors",
            "step-00000800.safetensors"
        ]
    );
    assert_eq!(std::fs::read(&early).unwrap(), stray_bytes);
    assert_eq!(
        state_of(&b.join("checkpoints/step-00000400.safetensors"))
            .config
            .seed,
        2
    );
    // B stopped and resumed twice is B uninterrupted.
    let whole = t.path().join("whole");
    let want = fingerprint(&stop("2", "850", &whole));
    assert_eq!(state_of(&b.join("last.safetensors")).fingerprint, want);
}
