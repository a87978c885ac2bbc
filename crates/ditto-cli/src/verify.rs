//! `ditto verify`: compare two runs' traces and final checkpoints bit for bit.

use std::path::Path;

use ditto_train::Checkpoint;

/// Prints the comparison; true when the runs are bitwise identical.
pub fn verify(a: &Path, b: &Path) -> Result<bool, Box<dyn std::error::Error>> {
    let read = |p: &Path| -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
        let text = std::fs::read_to_string(p.join("trace.jsonl"))
            .map_err(|e| format!("{}: {e}", p.join("trace.jsonl").display()))?;
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    };
    let (ta, tb) = (read(a)?, read(b)?);
    let mut same = true;
    if let Some((la, lb)) = ta.iter().zip(&tb).find(|(x, y)| x != y) {
        same = false;
        println!("first divergent step: {}", la["step"]);
        println!(
            "  A: loss {} fingerprint {}",
            la["loss_bits"], la["fingerprint"]
        );
        println!(
            "  B: loss {} fingerprint {}",
            lb["loss_bits"], lb["fingerprint"]
        );
        // Pinpoint tensors at that step when both runs kept a checkpoint of it.
        let step = la["step"].as_u64().unwrap_or(0);
        let name = format!("checkpoints/step-{step:08}.safetensors");
        if let (Ok(ca), Ok(cb)) = (
            Checkpoint::read(&a.join(&name)),
            Checkpoint::read(&b.join(&name)),
        ) {
            compare_tensors(&ca, &cb, &format!("step {step}"));
        }
    } else if ta.len() != tb.len() {
        same = false;
        println!(
            "traces agree on {} steps but have {} and {} lines",
            ta.len().min(tb.len()),
            ta.len(),
            tb.len()
        );
    }
    let (fa, fb) = (a.join("final.safetensors"), b.join("final.safetensors"));
    match (Checkpoint::read(&fa), Checkpoint::read(&fb)) {
        (Ok(ca), Ok(cb)) => {
            if !compare_tensors(&ca, &cb, "final") {
                same = false;
            }
        }
        (ea, eb) => {
            same = false;
            for e in [ea.err(), eb.err()].into_iter().flatten() {
                println!("cannot compare final weights: {e}");
            }
        }
    }
    println!(
        "{}",
        if same {
            "IDENTICAL: traces and final weights match bit for bit"
        } else {
            "DIFFERENT"
        }
    );
    Ok(same)
}

/// Prints what differs between two checkpoints (model tensors with their ULP distance,
/// optimiser state, trainer state); true when every tensor and the state are identical.
pub fn same_checkpoint(a: &Checkpoint, b: &Checkpoint) -> bool {
    let mut same = compare_tensors(a, b, "checkpoint");
    for (name, ta) in a.tensors.iter().filter(|(n, _)| !n.starts_with("model.")) {
        if b.tensors.get(name) != Some(ta) {
            println!("checkpoint: {name} differs");
            same = false;
        }
    }
    if a.tensors.len() != b.tensors.len() {
        println!(
            "checkpoint: {} tensors vs {}",
            a.tensors.len(),
            b.tensors.len()
        );
        same = false;
    }
    if a.state != b.state {
        println!("checkpoint: the trainer state differs");
        for key in [
            "step",
            "epoch",
            "batch",
            "backend_rng",
            "fingerprint",
            "config",
        ] {
            if a.state[key] != b.state[key] {
                println!("  {key}: {} vs {}", a.state[key], b.state[key]);
            }
        }
        same = false;
    }
    same
}

/// Prints the model tensors that differ, with their max ULP distance; true if none differ.
fn compare_tensors(a: &Checkpoint, b: &Checkpoint, at: &str) -> bool {
    let mut same = true;
    for (name, ta) in a.tensors.iter().filter(|(n, _)| n.starts_with("model.")) {
        let Some(tb) = b.tensors.get(name) else {
            println!("{at}: {name} missing in B");
            same = false;
            continue;
        };
        if ta == tb {
            continue;
        }
        same = false;
        match (ta.to_f32(), tb.to_f32()) {
            (Ok(va), Ok(vb)) if va.len() == vb.len() => {
                let (count, max_ulp) = va.iter().zip(&vb).fold((0usize, 0u64), |(c, m), (x, y)| {
                    let d = ulp_distance(*x, *y);
                    (c + usize::from(d > 0), m.max(d))
                });
                println!(
                    "{at}: {name} differs in {count}/{} elements, max {max_ulp} ULP",
                    va.len()
                );
            }
            _ => println!("{at}: {name} differs in shape or type"),
        }
    }
    same
}

/// ULP distance between two f32 values (on the ordered integer line).
pub fn ulp_distance(a: f32, b: f32) -> u64 {
    let key = |x: f32| {
        let i = x.to_bits() as i32;
        if i < 0 {
            i64::from(i32::MIN) - i64::from(i)
        } else {
            i64::from(i)
        }
    };
    (key(a) - key(b)).unsigned_abs()
}
