#!/usr/bin/env python3
"""Generate crates/ditto-kernels/src/forward/ops.rs from Burn's backend op traits.

The Ditto<B> decorator forwards every Backend op to B, except the ones it overrides. The op
signatures are read from burn-backend's source (the version pinned in Cargo.lock) so that a
Burn bump regenerates the forwarding instead of anyone hand-editing hundreds of methods:

    python3 scripts/gen_forward.py            # rewrite the generated file
    python3 scripts/gen_forward.py --check    # exit 1 if it is stale (CI-friendly)

The output is a list of signatures fed to the `forward!` macro (crates/ditto-kernels/src/
forward/mod.rs), which writes each body as a call to the inner backend. It also writes
`ops.tsv`, the list of every op with its trait, which the determinism audit table and its
coverage test read.
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates/ditto-kernels/src/forward/ops.rs")
TSV = os.path.join(ROOT, "crates/ditto-kernels/ops.tsv")

TRAITS = [
    ("FloatTensorOps", "tensor.rs"),
    ("IntTensorOps", "int_tensor.rs"),
    ("BoolTensorOps", "bool_tensor.rs"),
    ("ModuleOps", "modules/base.rs"),
    ("ActivationOps", "activation.rs"),
    ("QTensorOps", "qtensor.rs"),
    ("TransactionOps", "transaction.rs"),
]

# Ops that Ditto<B> implements itself (randomness and deterministic reductions; see
# crates/ditto-kernels/src/ops/), and ops whose arguments need converting between the
# `Ditto<B>` and `B` branded structs (crates/ditto-kernels/src/forward/manual.rs).
OVERRIDES = {
    "float_random",
    "int_random",
    "float_sum",
    "float_mean",
    "quantize",
    "tr_execute",
    "q_matmul",
    "deform_conv2d_backward",
    # Canonical mode (crate::ops::canonical); forwarded in run-to-run mode.
    "float_matmul",
    "float_sum_dim",
    "float_mean_dim",
    "float_exp",
    "float_log",
    "float_tanh",
    "float_erf",
    "float_powf",
    "float_powf_scalar",
    "sigmoid",
    "gelu",
    "conv2d",
    "conv2d_x_backward",
    "conv2d_weight_backward",
    "conv2d_bias_backward",
    "conv_transpose2d",
    "conv_transpose2d_x_backward",
    "conv_transpose2d_weight_backward",
    "conv_transpose2d_bias_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
}

# Return types that are structs branded by the backend: the forwarded result is converted
# with `Rebrand::rebrand`.
BRANDED = re.compile(
    r"-> (TensorPrimitive|DeformConv2dBackward|MaxPool1dBackward|MaxPool1dWithIndices|"
    r"MaxPool2dBackward|MaxPool2dWithIndices)<Self>$"
)


def burn_backend_dir():
    version = None
    lock = open(os.path.join(ROOT, "Cargo.lock")).read()
    m = re.search(r'name = "burn-backend"\nversion = "([^"]+)"', lock)
    if m:
        version = m.group(1)
    home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    hits = glob.glob(os.path.join(home, "registry/src/*/burn-backend-%s" % version))
    if not hits:
        sys.exit("burn-backend-%s not found in Cargo's registry: run `cargo fetch` first" % version)
    return os.path.join(hits[0], "src/backend/ops")


def strip_comments(src):
    out = []
    for line in src.splitlines():
        s = line.lstrip()
        if s.startswith("//"):
            continue
        out.append(line)
    return "\n".join(out)


def trait_body(src, trait):
    m = re.search(r"pub trait %s<B: Backend>[^{]*\{" % trait, src)
    if not m:
        sys.exit("trait %s not found" % trait)
    i = m.end()
    depth = 1
    j = i
    while depth:
        c = src[j]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        j += 1
    return src[i : j - 1]


def methods(body):
    """Yield (name, signature) for each fn at the trait's top level."""
    i = 0
    depth = 0
    n = len(body)
    while i < n:
        c = body[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif depth == 0 and body.startswith("fn ", i) and (i == 0 or body[i - 1] in " \n\t"):
            # Signature runs to the first '{' or ';' outside (), <> and [].
            j = i
            nest = 0
            while True:
                ch = body[j]
                if ch in "(<[":
                    nest += 1
                elif ch in ")>]":
                    if ch == ">" and body[j - 1] == "-":
                        pass  # the arrow of `->`
                    else:
                        nest -= 1
                elif ch in "{;" and nest == 0:
                    break
                j += 1
            sig = " ".join(body[i:j].split())
            name = re.match(r"fn (\w+)", sig).group(1)
            yield name, sig
            if body[j] == "{":
                depth += 1
            i = j + 1
            continue
        i += 1


def _unused_args_of(sig):
    inner = sig[sig.index("(") + 1 :]
    # Cut at the matching ')'.
    depth = 1
    k = 0
    while depth:
        if inner[k] in "(<[":
            depth += 1
        elif inner[k] in ")>]":
            if not (inner[k] == ">" and inner[k - 1] == "-"):
                depth -= 1
        k += 1
    params = inner[: k - 1]
    names = []
    depth = 0
    cur = ""
    for ch in params + ",":
        if ch in "(<[":
            depth += 1
        elif ch in ")>]":
            depth -= 1
        if ch == "," and depth == 0:
            if cur.strip():
                names.append(cur.split(":")[0].strip())
            cur = ""
        else:
            cur += ch
    return names


def main():
    base = burn_backend_dir()
    lines = [
        "// @generated by scripts/gen_forward.py from burn-backend's op traits. Do not edit:",
        "// change the script (or its OVERRIDES list) and rerun it.",
        "",
    ]
    tsv = ["trait\top\toverridden"]
    total = 0
    for trait, path in TRAITS:
        src = strip_comments(open(os.path.join(base, path)).read())
        body = trait_body(src, trait)
        macro = "forward_%s" % re.sub(r"(?<!^)([A-Z])", r"_\1", trait).lower()
        lines.append("/// Forwards every `%s` op that ditto does not override." % trait)
        lines.append("macro_rules! %s {" % macro)
        lines.append("    () => {")
        lines.append("        forward! {")
        lines.append("            %s;" % trait)
        for name, sig in methods(body):
            total += 1
            over = name in OVERRIDES
            tsv.append("%s\t%s\t%s" % (trait, name, "yes" if over else "no"))
            if over:
                continue
            sig = re.sub(r"\bB\b", "Self", sig)
            sig = sig.replace("crate::", "burn_backend::")
            sig = re.sub(r"([(,] ?)mut ", r"\1", sig)
            sig = sig.replace("( ", "(").replace(", )", ")")
            if "Self>" in sig.split("(", 1)[1].split("->")[0] and re.search(
                r"(TransactionPrimitive|QuantizationParametersPrimitive|TensorPrimitive)<Self>",
                sig.split("->")[0],
            ):
                sys.exit("op %s takes a branded struct: add it to OVERRIDES" % name)
            suffix = " => rebrand" if BRANDED.search(sig) else ""
            lines.append("            %s%s;" % (sig, suffix))
        lines.append("        }")
        lines.append("    };")
        lines.append("}")
        lines.append("pub(crate) use %s;" % macro)
        lines.append("")
    text = "\n".join(lines)
    if "--check" in sys.argv:
        old = open(OUT).read() if os.path.exists(OUT) else ""
        old_tsv = open(TSV).read() if os.path.exists(TSV) else ""
        if old != text or old_tsv != "\n".join(tsv) + "\n":
            sys.exit("generated forwarding is stale: run scripts/gen_forward.py")
        return
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    open(OUT, "w").write(text)
    open(TSV, "w").write("\n".join(tsv) + "\n")
    print("%d ops, %d overridden -> %s" % (total, len(OVERRIDES), OUT))


main()
