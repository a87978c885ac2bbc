//! `ditto sweep`: the library's [`ditto_train::sweep::Sweep`] over the `ditto train` binary,
//! each cell a child process (so that threads and `DITTO_SIMD` can differ per cell), plus the
//! figure of the report.
//!
//! `process` is the run factory (a child `ditto train` per cell), `plot` draws
//! `accuracy.svg`; the grid, the results, the analysis and the verdicts are the library's.

mod plot;
mod process;
#[cfg(test)]
mod tests;

pub(crate) use plot::plot_accuracy;
pub(crate) use process::child_train;

/// Parses `a..b` (b exclusive) or a comma list of seeds.
pub fn parse_seeds(s: &str, flag: &str) -> Result<Vec<u64>, String> {
    if let Some((a, b)) = s.split_once("..") {
        let a: u64 = a.trim().parse().map_err(|e| format!("{flag} {s:?}: {e}"))?;
        let b: u64 = b.trim().parse().map_err(|e| format!("{flag} {s:?}: {e}"))?;
        if b <= a {
            return Err(format!("{flag} {s:?}: empty range"));
        }
        if b - a > 10_000 {
            return Err(format!("{flag} {s:?}: more than 10000 seeds"));
        }
        return Ok((a..b).collect());
    }
    parse_list(s, flag)
}

/// Parses a comma list, refusing empty lists and duplicates.
pub fn parse_list<T: std::str::FromStr + PartialEq>(s: &str, flag: &str) -> Result<Vec<T>, String>
where
    T::Err: std::fmt::Display,
{
    let mut v = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let x: T = part
            .parse()
            .map_err(|e| format!("{flag} {s:?}: {part:?}: {e}"))?;
        if v.contains(&x) {
            return Err(format!("{flag} {s:?}: {part:?} given twice"));
        }
        v.push(x);
    }
    if v.is_empty() {
        return Err(format!("{flag} {s:?}: no values"));
    }
    Ok(v)
}

/// Parses `--set FIELD=V1,V2,...`: a config field's dotted path and its values, each read as
/// JSON where it parses (numbers, booleans, `[64,32]`) and as a string otherwise. Commas
/// inside brackets belong to the value.
pub fn parse_set(s: &str) -> Result<(String, Vec<serde_json::Value>), String> {
    let Some((path, values)) = s.split_once('=') else {
        return Err(format!(
            "--set {s:?}: expected FIELD=V1,V2 (e.g. optimizer.lr=0.001,0.01)"
        ));
    };
    let path = path.trim();
    if path.is_empty() {
        return Err(format!("--set {s:?}: no field"));
    }
    let mut parts = Vec::new();
    let (mut depth, mut cur) = (0i32, String::new());
    for ch in values.chars() {
        match ch {
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            _ => {}
        }
        if ch == ',' && depth == 0 {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(ch);
        }
    }
    parts.push(cur);
    let values: Vec<serde_json::Value> = parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(|p| serde_json::from_str(p).unwrap_or_else(|_| serde_json::Value::String(p.into())))
        .collect();
    if values.is_empty() {
        return Err(format!("--set {s:?}: no values"));
    }
    Ok((path.to_owned(), values))
}
