#!/usr/bin/env python3
"""ditto's peer benchmark: PyTorch (deterministic) against plain Burn, ditto run-to-run and
ditto canonical, interleaved, printed as a markdown table of medians with ratios to PyTorch.

    /path/to/venv/bin/python benches/peers/run.py [--rounds 5] [--threads 2]
        [--models mlp,cnn,transformer,mlp-loop] [--python PY] [--steps N] [--warmup W]

Standard library only; run it with the venv's python (that has torch) or pass --python.
Each round runs, for each model, the PyTorch side and the ditto side as fresh subprocesses,
alternating which goes first; the table shows each column's median over the rounds.

  step models (mlp, cnn, transformer): one training step of the bundled examples' models.
    PyTorch: benches/peers/torch_steps.py --model M --steps N --warmup W --threads T
    ditto:   cargo bench --bench peer_steps -- --model M --steps N --warmup W
             (one JSON line {"model", "plain", "run_to_run", "canonical"}, ms per step)
  mlp-loop: the digits-mlp example's whole training loop (20 epochs, 880 steps).
    PyTorch: torch_steps.py --model mlp-loop --from-step S
    ditto:   cargo run --release -p ditto-cli -- train --example digits-mlp --out DIR/run
             --threads T --mode {off,run-to-run,canonical}  (off is plain Burn)
    ms/step = (elapsed_s at the final step - at step S) / (final - S) from DIR/run/metrics.jsonl,
    S = the first logged step >= 20 (the example logs every `log_every` steps).

RAYON_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS are set to --threads for both sides.
`cargo bench --bench peer_steps --no-run` (and a release build of ditto-cli) run once first,
so build time is never measured.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
STEP_MODELS = ("mlp", "cnn", "transformer")
# Default (steps, warmup) per step model: a few hundred ms to a few seconds per run.
STEPS = {"mlp": (200, 20), "cnn": (20, 3), "transformer": (50, 5)}
COLUMNS = ("pytorch", "plain", "run_to_run", "canonical")
LOOP_MODES = {"plain": "off", "run_to_run": "run-to-run", "canonical": "canonical"}
LOOP_FROM = 20
NAMES = {"mlp": "digits-mlp step", "cnn": "fashion-cnn step",
         "transformer": "digits-transformer step", "mlp-loop": "digits-mlp loop"}


def sh(cmd, env, what):
    """Runs `cmd` in the repository root; its stdout, or exit with its output on failure."""
    r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{what} failed ({r.returncode}): {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    return r.stdout


def last_json(text, what):
    """The last line of `text` that is a JSON object."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    sys.exit(f"{what}: no JSON line in its output:\n{text}")


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


class Bench:
    def __init__(self, a):
        self.a = a
        self.env = dict(os.environ)
        for var in ("RAYON_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            self.env[var] = str(a.threads)
        # The same glibc malloc settings for both sides: the ones the `ditto` binary sets
        # for itself (crates/ditto-cli/src/alloc.rs), so that freed step buffers stay in the
        # process instead of costing page faults every step. `--default-malloc` keeps glibc's.
        if not a.default_malloc:
            self.env.setdefault("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=33554432:"
                                "glibc.malloc.trim_threshold=1073741824")
        self.cargo = a.cargo.split()
        self.loop_from = self.log_every = None

    def prepare(self, models):
        """Builds the ditto side once; finds the loop's first logged step >= 20."""
        if any(m in STEP_MODELS for m in models):
            sh(self.cargo + ["bench", "--bench", "peer_steps", "--no-run"], self.env,
               "building peer_steps")
        if "mlp-loop" in models:
            sh(self.cargo + ["build", "--release", "-p", "ditto-cli"], self.env,
               "building ditto-cli")
            cfg = tomllib.loads(sh(self.ditto_cli() + ["--print-config"], self.env,
                                   "ditto train --print-config"))
            self.log_every = every = int(cfg["log_every"])
            self.loop_from = -(-LOOP_FROM // every) * every  # first logged step >= 20

    def ditto_cli(self):
        return self.cargo + ["run", "--release", "-q", "-p", "ditto-cli", "--", "train",
                             "--example", "digits-mlp"]

    def torch(self, model):
        cmd = [self.a.python, str(HERE / "torch_steps.py"), "--model", model,
               "--threads", str(self.a.threads)]
        if model == "mlp-loop":
            cmd += ["--from-step", str(self.loop_from)]
        else:
            steps, warmup = self.steps(model)
            cmd += ["--steps", str(steps), "--warmup", str(warmup)]
        return last_json(sh(cmd, self.env, f"torch_steps.py {model}"), "torch_steps.py")

    def steps(self, model):
        steps, warmup = STEPS[model]
        return self.a.steps or steps, self.a.warmup if self.a.warmup is not None else warmup

    def ditto(self, model, rnd):
        """{column: ms} for the ditto side of `model`."""
        if model != "mlp-loop":
            steps, warmup = self.steps(model)
            cmd = self.cargo + ["bench", "--bench", "peer_steps", "--", "--model", model,
                                "--steps", str(steps), "--warmup", str(warmup)]
            out = last_json(sh(cmd, self.env, f"peer_steps {model}"), "peer_steps")
            return {c: float(out[c]) for c in COLUMNS[1:]}
        cols = list(LOOP_MODES)
        cols = cols[rnd % 3:] + cols[:rnd % 3]  # rotate which mode runs first
        return {c: self.loop(LOOP_MODES[c]) for c in cols}

    def loop(self, mode):
        """ms per step of one `ditto train --example digits-mlp` run in `mode`."""
        tmp = tempfile.mkdtemp(prefix="ditto-peer-")
        try:
            run = Path(tmp) / "run"
            sh(self.ditto_cli() + ["--out", str(run), "--threads", str(self.a.threads),
                                   "--mode", mode], self.env, f"ditto train --mode {mode}")
            train = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()
                     if line.strip()]
            train = {r["step"]: r["elapsed_s"] for r in train if "elapsed_s" in r}
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        final = max(train)
        if self.loop_from not in train or final <= self.loop_from:
            sys.exit(f"metrics.jsonl has no train line at step {self.loop_from} before {final}")
        return (train[final] - train[self.loop_from]) / (final - self.loop_from) * 1e3


def cell(ms, base):
    return "n/a" if ms is None else f"{ms:.3f} ms ({ms / base:.2f}x)"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--models", default="mlp,cnn,transformer,mlp-loop",
                   help="comma-separated, from mlp, cnn, transformer, mlp-loop")
    p.add_argument("--python", default=sys.executable, help="a python with torch")
    p.add_argument("--steps", type=int, help="timed steps per run for every step model")
    p.add_argument("--warmup", type=int, help="untimed steps per run for every step model")
    p.add_argument("--cargo", default="cargo", help="the cargo command (default: cargo)")
    p.add_argument("--default-malloc", action="store_true",
                   help="keep glibc's default malloc thresholds on both sides")
    a = p.parse_args()
    models = [m for m in a.models.split(",") if m]
    bad = [m for m in models if m not in (*STEP_MODELS, "mlp-loop")]
    if bad or not models or a.rounds < 1 or a.threads < 1:
        p.error(f"bad --models {bad or a.models!r}, --rounds or --threads")

    b = Bench(a)
    torch_version = sh([a.python, "-W", "ignore", "-c", "import torch; print(torch.__version__)"],
                       b.env, "importing torch").strip()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"CPU: {cpu_model()} ({os.cpu_count()} logical CPUs), load average {load:.2f}")
    if load > 0.5:
        print("warning: the CPUs are busy; with as many threads as cores, OpenMP (PyTorch) and "
              "rayon (Burn) wait for descheduled threads and the figures mean little")
    print(f"PyTorch {torch_version} ({a.python}); threads: {a.threads} "
          f"(RAYON_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS); rounds: {a.rounds}")
    print("building the ditto side ...", file=sys.stderr, flush=True)
    b.prepare(models)

    times = {m: {c: [] for c in COLUMNS} for m in models}
    for rnd in range(a.rounds):
        for i, model in enumerate(models):
            torch_first = (rnd + i) % 2 == 0
            print(f"round {rnd + 1}/{a.rounds}: {model} "
                  f"({'PyTorch' if torch_first else 'ditto'} first)", file=sys.stderr, flush=True)
            for side in (("torch", "ditto") if torch_first else ("ditto", "torch")):
                if side == "torch":
                    times[model]["pytorch"].append(float(b.torch(model)["ms_per_step"]))
                else:
                    for c, ms in b.ditto(model, rnd).items():
                        times[model][c].append(ms)

    print()
    print(f"| model | PyTorch (deterministic, {a.threads} threads) | plain Burn "
          "| ditto run-to-run | ditto canonical |")
    print("|---|---|---|---|---|")
    for model in models:
        med = {c: statistics.median(v) if v else None for c, v in times[model].items()}
        base = med["pytorch"]
        print(f"| {NAMES[model]} | " + " | ".join(cell(med[c], base) for c in COLUMNS) + " |")
    print()
    print(f"ms per training step, median of {a.rounds} interleaved rounds; ratio to PyTorch. "
          "Step models: PyTorch's figure per run is its median step; ditto's is peer_steps' figure.")
    if "mlp-loop" in models:
        note = "" if b.loop_from == LOOP_FROM else \
            f" (the example logs every {b.log_every} steps, so step {b.loop_from}, not 20)"
        print(f"digits-mlp loop: (time at the final step - at step {b.loop_from}) / steps "
              f"between{note}; ditto columns from metrics.jsonl, plain Burn = --mode off.")


if __name__ == "__main__":
    main()
