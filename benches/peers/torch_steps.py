#!/usr/bin/env python3
"""PyTorch half of ditto's peer benchmark: the bundled examples' training steps in PyTorch.

    python torch_steps.py --model {mlp,cnn,transformer,mlp-loop} [--steps N] [--warmup W]
                          [--threads T] [--from-step S]

prints one JSON line: {"model", "impl": "pytorch", "ms_per_step", "torch", "threads"}.

Models (mirroring crates/ditto-train/src/model.rs and model/transformer.rs, built as
benches/train_step.rs builds them; float32, CPU):
  mlp          Mlp 64 -> [128] -> 10: Linear, ReLU, Dropout(0.1), Linear. Batch 32.
  cnn          Cnn(28, 28, convs [8, 16], dense 64, 10 classes, dropout 0.1): reshape the 784
               features to 1x28x28; per conv: Conv2d 3x3 padding 1, ReLU, MaxPool 2x2 stride 2;
               flatten (16*7*7), Dropout, Linear 784->64, ReLU, Dropout, Linear 64->10. Batch 64.
  transformer  Transformer(8 tokens x 8 pixels, TransformerConfig::default(): d_model 32,
               4 heads, 2 layers, d_ff 64, dropout 0.1; 10 classes): Linear 8->32 per row plus
               a learned position Embedding(8, 32); pre-norm encoder layers (LayerNorm eps
               1e-5, self-attention, dropout, residual; LayerNorm, Linear 32->64, exact GELU,
               dropout, Linear 64->32, dropout, residual); final LayerNorm, mean over tokens,
               Linear 32->10. Batch 32.
A step (benches/common/step.rs): forward on a fixed batch (uniform [0, 1) inputs, labels
i % 10), mean cross-entropy, backward, Adam (lr 1e-3, betas 0.9/0.999, eps 1e-5: Burn's
AdamConfig defaults; no weight decay), gradients dropped after each step as Burn does. Dropout
is active (training mode), as on Burn's autodiff backend. ms_per_step is the MEDIAN of the
per-step wall times of the --steps timed steps, after --warmup untimed ones.

mlp-loop: the digits-mlp example's whole training loop (examples/digits-mlp/config.toml, read
at run time: 20 epochs, batch 32, Adam lr 1e-3, constant schedule, MLP 64-128-10, dropout 0.1)
on the vendored UCI digits (examples/data/digits.csv.gz, pixels / 16, stratified 80/20 split):
per epoch a seeded shuffle, full batches only (44 per epoch, 880 steps), forward, cross-entropy,
backward, Adam, loss.item(); after each epoch an evaluation of the test split in chunks of 1000
(eval mode, no grad). ms_per_step = (time after the final step - time after step S) / (final -
S), S = --from-step (default 20), clocks read right after the step as ditto's metrics.jsonl
does (so the evaluations in between are included).

Differences from ditto that remain (none changes shapes or FLOPs):
  * Initial weights, the batch values and dropout masks come from PyTorch's generators, not
    ditto's (the same distributions' shapes; the timing does not depend on the values).
  * Linear weights are stored [out, in] (PyTorch) rather than [in, out] (Burn).
  * Attention is torch.nn.TransformerEncoderLayer: one packed 32->96 QKV projection instead of
    Burn's three 32->32 ones, fused scaled_dot_product_attention, and attention dropout on the
    softmax output; Burn drops out the pre-softmax scores. Same element counts.
  * The loop's split and shuffle orders are drawn by torch.Generator, not ditto's RNG (same
    sizes: 1438 train, 359 test). ditto's loop additionally hashes every parameter after each
    step (trace.jsonl) and writes a checkpoint every 200 steps; this loop does neither.

Deterministic mode: torch.use_deterministic_algorithms(True) is on. On CPU it changes little
for these ops: ops with no deterministic implementation would raise (none here does), a few
accumulating index ops (index_put_/put_ with accumulate) take a serial path, and with
torch.utils.deterministic.fill_uninitialized_memory (default True) every torch.empty-style
allocation is filled with NaN (a memset per fresh buffer). It guarantees the same bits run to
run on the same machine, build and thread count, not across thread counts or CPUs (MKL/oneDNN
choose kernels by ISA and thread count): the counterpart of ditto run-to-run, not canonical.
Everything else is PyTorch's default CPU path (MKL GEMM, oneDNN convolutions where PyTorch picks
them, the default single-tensor Adam on CPU), with torch.set_num_threads(--threads).
"""

import argparse
import gzip
import json
import statistics
import sys
import time
import tomllib
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")  # numpy not needed
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "digits-mlp" / "config.toml"
DIGITS = REPO / "examples" / "data" / "digits.csv.gz"


class Mlp(nn.Module):
    """ditto_train::Mlp: Linear layers, ReLU then dropout after each hidden one."""

    def __init__(self, inputs, hidden, classes, dropout):
        super().__init__()
        widths = [inputs, *hidden, classes]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < last:
                x = self.dropout(F.relu(x))
        return x


class Cnn(nn.Module):
    """ditto_train::Cnn: [conv 3x3 pad 1, ReLU, maxpool 2x2]*, dropout, dense, ReLU, dropout, head."""

    def __init__(self, height, width, channels, dense, classes, dropout):
        super().__init__()
        self.height, self.width = height, width
        convs, c_in, h, w = [], 1, height, width
        for c in channels:
            convs.append(nn.Conv2d(c_in, c, 3, padding=1))
            c_in, h, w = c, h // 2, w // 2
        self.convs = nn.ModuleList(convs)
        self.pool = nn.MaxPool2d(2, stride=2)
        self.dense = nn.Linear(c_in * h * w, dense)
        self.head = nn.Linear(dense, classes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        h = x.reshape(x.shape[0], 1, self.height, self.width)
        for conv in self.convs:
            h = self.pool(F.relu(conv(h)))
        flat = self.dropout(h.flatten(1))
        return self.head(self.dropout(F.relu(self.dense(flat))))


class Transformer(nn.Module):
    """ditto_train::Transformer: rows as tokens, pre-norm encoder, final norm, mean, head."""

    def __init__(self, tokens, width, classes, d_model=32, heads=4, layers=2, d_ff=64,
                 dropout=0.1):
        super().__init__()
        self.tokens, self.width = tokens, width
        self.embed = nn.Linear(width, d_model)
        self.position = nn.Embedding(tokens, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, heads, d_ff, dropout, activation="gelu", layer_norm_eps=1e-5,
            batch_first=True, norm_first=True)
        # No final norm inside the encoder (Burn's has none); the model applies its own.
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model, eps=1e-5)
        self.head = nn.Linear(d_model, classes)

    def forward(self, x):
        rows = x.reshape(x.shape[0], self.tokens, self.width)
        positions = torch.arange(self.tokens, device=x.device).reshape(1, self.tokens)
        h = self.embed(rows) + self.position(positions)
        h = self.encoder(h)
        return self.head(self.norm(h).mean(dim=1))


def build(name):
    """The model, its input width and its batch size, as benches/train_step.rs builds them."""
    if name == "mlp":
        return Mlp(64, [128], 10, 0.1), 64, 32
    if name == "cnn":
        return Cnn(28, 28, [8, 16], 64, 10, 0.1), 784, 64
    if name == "transformer":
        return Transformer(8, 8, 10), 64, 32
    raise ValueError(name)


def adam(model, lr):
    return torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-5)


def train_step(model, opt, x, y):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def bench_steps(name, steps, warmup):
    """Median ms of `steps` timed training steps on one fixed batch, after `warmup` ones."""
    model, features, rows = build(name)
    model.train()
    g = torch.Generator().manual_seed(0)
    x = torch.rand(rows, features, generator=g)
    y = torch.arange(rows) % 10
    opt = adam(model, 1e-3)
    for _ in range(warmup):
        train_step(model, opt, x, y)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        train_step(model, opt, x, y)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def load_digits():
    """The vendored UCI digits: 1797 rows of 64 pixels (0..=16) and a label."""
    with gzip.open(DIGITS, "rt") as f:
        rows = [[int(v) for v in line.split(",")] for line in f if line.strip()]
    data = torch.tensor(rows, dtype=torch.int64)
    return data[:, :64].to(torch.float32), data[:, 64]


def stratified_split(labels, fraction, g):
    """ditto_data::split: per class, round(n * fraction) test samples (half away from zero)."""
    train, test = [], []
    for c in range(int(labels.max()) + 1):
        idx = (labels == c).nonzero().flatten()
        idx = idx[torch.randperm(len(idx), generator=g)]
        k = int(len(idx) * fraction + 0.5)
        test.append(idx[:k])
        train.append(idx[k:])
    return torch.cat(train).sort().values, torch.cat(test).sort().values


def evaluate(model, x, y, chunk=1000):
    """Mean test loss and accuracy, in chunks of 1000 as ditto's trainer evaluates."""
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for lo in range(0, len(y), chunk):
            logits = model(x[lo:lo + chunk])
            loss_sum += F.cross_entropy(logits, y[lo:lo + chunk], reduction="sum").item()
            correct += int((logits.argmax(dim=1) == y[lo:lo + chunk]).sum())
    model.train()
    return loss_sum / len(y), correct / len(y)


def mlp_loop(from_step):
    """The digits-mlp example's training loop; ms per step from step `from_step` to the end."""
    cfg = tomllib.loads(EXAMPLE.read_text())
    opt_cfg, sched = cfg["optimizer"], cfg.get("schedule", {})
    assert opt_cfg["kind"] == "adam" and opt_cfg.get("weight_decay", 0) == 0, opt_cfg
    assert sched.get("kind", "constant") == "constant" and not sched.get("warmup_steps"), sched
    assert cfg["model"]["kind"] == "mlp" and cfg["data"]["name"] == "digits", cfg
    epochs, bs, seed = cfg["epochs"], cfg["batch_size"], cfg["seed"]

    torch.manual_seed(seed)  # initial weights and dropout masks
    g = torch.Generator().manual_seed(seed)  # split and shuffles
    x, y = load_digits()
    x = x / 16.0
    train, test = stratified_split(y, cfg["data"]["test_fraction"], g)
    x_train, y_train, x_test, y_test = x[train], y[train], x[test], y[test]
    model = Mlp(64, cfg["model"]["hidden"], 10, cfg["model"]["dropout"])
    model.train()
    opt = adam(model, opt_cfg["lr"])
    per_epoch = len(y_train) // bs  # full batches only (drop_last)
    final = epochs * per_epoch
    if not 1 <= from_step < final:
        raise SystemExit(f"--from-step must be in 1..{final - 1}")
    step, t_from, t_final = 0, None, None
    for _ in range(epochs):
        order = torch.randperm(len(y_train), generator=g)
        for b in range(per_epoch):
            idx = order[b * bs:(b + 1) * bs]
            loss = train_step(model, opt, x_train[idx], y_train[idx])
            loss.item()
            step += 1
            if step == from_step:
                t_from = time.perf_counter()
            if step == final:
                t_final = time.perf_counter()
        test_loss, accuracy = evaluate(model, x_test, y_test)
    print(f"mlp-loop: {final} steps, test accuracy {accuracy:.4f}, test loss {test_loss:.5f}",
          file=sys.stderr)
    return (t_final - t_from) / (final - from_step) * 1e3


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, choices=["mlp", "cnn", "transformer", "mlp-loop"])
    p.add_argument("--steps", type=int, default=100, help="timed steps (step models)")
    p.add_argument("--warmup", type=int, default=10, help="untimed steps first (step models)")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--from-step", type=int, default=20,
                   help="mlp-loop: first step of the timed window (default 20)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)
    if a.model == "mlp-loop":
        ms = mlp_loop(a.from_step)
    else:
        if a.steps < 1 or a.warmup < 0:
            raise SystemExit("--steps must be >= 1 and --warmup >= 0")
        ms = bench_steps(a.model, a.steps, a.warmup)
    print(json.dumps({"model": a.model, "impl": "pytorch", "ms_per_step": round(ms, 4),
                      "torch": torch.__version__, "threads": a.threads}))


if __name__ == "__main__":
    main()
