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
NOT_CANONICAL_OVERRIDES = {
    "float_random": "portable",
    "int_random": "portable",
    "quantize": "forwarded",
    "tr_execute": "exact",
    "q_matmul": "forwarded",
    "deform_conv2d_backward": "refused",
    # Reads NdArray's buffer directly (`Inner::host_f32`) instead of burn-ndarray's
    # element-wise copy: the trainer's read-back of every parameter goes through it.
    "float_into_data": "exact",
}

# Canonical mode (crate::ops::canonical, crate::ops::composite): routed to a canonical kernel
# or composed on Ditto<B> from canonical and exact ops; forwarded in run-to-run mode.
CANONICAL = {
    "float_sum", "float_mean",
    "float_matmul", "float_sum_dim", "float_mean_dim",
    "float_exp", "float_log", "float_tanh", "float_erf", "float_powf", "float_powf_scalar",
    "float_div", "float_div_scalar", "float_remainder", "float_remainder_scalar",
    "float_recip", "float_sqrt", "float_log1p", "float_sign",
    "float_powi", "float_powi_scalar", "float_powi_scalar_impl", "float_powf_scalar_impl",
    "float_prod", "float_prod_dim", "float_cumsum",
    "float_max", "float_max_dim", "float_max_dim_with_indices",
    "float_min", "float_min_dim", "float_min_dim_with_indices",
    "float_argmax", "float_argmin", "float_max_abs", "float_max_abs_dim",
    "float_select_add", "float_scatter_add",
    "sigmoid", "gelu", "relu", "relu_backward", "leaky_relu", "prelu", "hard_sigmoid",
    "sigmoid_backward", "gelu_backward", "log_sigmoid", "log_sigmoid_backward",
    "softmax", "log_softmax", "softmin",
    "linear", "linear_x_backward", "linear_weight_backward", "linear_bias_backward",
    "embedding_backward", "layer_norm", "attention",
    "conv1d", "conv1d_x_backward", "conv1d_weight_backward", "conv1d_bias_backward",
    "conv2d", "conv2d_x_backward", "conv2d_weight_backward", "conv2d_bias_backward",
    "conv_transpose1d", "conv_transpose1d_x_backward", "conv_transpose1d_weight_backward",
    "conv_transpose1d_bias_backward",
    "conv_transpose2d", "conv_transpose2d_x_backward", "conv_transpose2d_weight_backward",
    "conv_transpose2d_bias_backward",
    "avg_pool1d", "avg_pool1d_backward", "avg_pool2d", "avg_pool2d_backward",
    "adaptive_avg_pool1d", "adaptive_avg_pool1d_backward",
    "adaptive_avg_pool2d", "adaptive_avg_pool2d_backward",
    "max_pool1d", "max_pool1d_with_indices", "max_pool1d_with_indices_backward",
    "max_pool2d", "max_pool2d_with_indices", "max_pool2d_with_indices_backward",
}

# Overridden so that a Cargo feature of the inner backend cannot change their bits
# (`Inner::FEATURE_PROOF`, crate::ops::feature_proof: burn-ndarray's `simd` feature changes
# `clamp` and `equal`, and Burn's default bodies of the others call `equal`); forwarded
# elsewhere. Their canonical-mode class is unchanged.
FEATURE_PROOF_OVERRIDES = {
    "float_clamp": "exact-cpu",
    "float_clamp_min": "exact-cpu",
    "float_clamp_max": "exact-cpu",
    "float_equal": "exact",
    "float_not_equal": "exact",
    "float_equal_elem": "exact",
    "float_not_equal_elem": "exact",
    "float_is_nan": "exact",
    "float_is_inf": "exact",
    "float_any": "exact",
    "float_any_dim": "exact",
    "float_all": "exact",
    "float_all_dim": "exact",
}

OVERRIDES = set(NOT_CANONICAL_OVERRIDES) | CANONICAL | set(FEATURE_PROOF_OVERRIDES)

# The class of every forwarded op in canonical mode (crates/ditto-kernels/ops.tsv, column
# `canonical`; DETERMINISM.md). `exact`: one exact IEEE operation per element, a comparison or
# data movement, the same bits on every conforming device. `exact-cpu`: exact on CPUs, but
# WGSL/Vulkan leave its rounding, NaN or range behaviour open. `forwarded`: float arithmetic of
# the backend (not canonical; strict mode refuses it in canonical mode). Ops of the int and bool
# traits are integer or boolean: exact unless listed here.
# The integer powers are here because the device conformance probe found lavapipe (cubecl)
# computing them through a float power: 5^2 = 24, 5^3 = 124.
EXACT_CPU = {
    "float_into_int", "float_cast", "int_into_float", "float_cross", "int_powi",
    "int_powi_scalar", "int_powi_scalar_impl",
}
FORWARDED = {
    "float_cumprod", "float_cummin", "float_cummax", "float_cos", "float_sin", "float_tan",
    "float_cosh", "float_sinh", "float_acos", "float_acosh", "float_asin", "float_asinh",
    "float_atan", "float_atanh", "float_atan2", "float_topk", "float_argtopk", "float_sort",
    "float_sort_with_indices", "float_argsort", "float_grid_sample_2d", "float_scatter_nd",
    "deform_conv2d", "conv3d", "conv3d_x_backward", "conv3d_weight_backward",
    "conv3d_bias_backward", "conv_transpose3d", "conv_transpose3d_x_backward",
    "conv_transpose3d_weight_backward", "conv_transpose3d_bias_backward", "unfold4d",
    "interpolate", "interpolate_backward", "ctc_loss", "ctc_loss_backward", "rfft", "irfft",
}
EXACT_FLOAT = {
    "float_from_data", "float_zeros", "float_ones", "float_full", "float_into_data",
    "float_device", "float_to_device", "float_empty", "float_repeat_dim", "float_add",
    "float_add_scalar", "float_sub", "float_sub_scalar", "float_mul", "float_mul_scalar",
    "float_neg", "float_abs", "float_transpose", "float_swap_dims", "float_permute",
    "float_flip", "float_reshape", "float_gather", "float_gather_nd", "float_select",
    "float_slice", "float_slice_assign", "float_mask_where", "float_mask_fill",
    "float_greater", "float_greater_elem", "float_greater_equal", "float_greater_equal_elem",
    "float_lower", "float_lower_elem", "float_lower_equal", "float_lower_equal_elem",
    "float_detach", "float_set_require_grad", "float_is_require_grad", "float_round",
    "float_floor", "float_ceil", "float_trunc", "float_cat", "float_expand", "float_unfold",
    "embedding", "has_ctc_loss_backward",
}

# Quantized-tensor ops that only move or describe data.
Q_MOVEMENT = {
    "q_device", "q_to_device", "q_reshape", "q_into_data", "q_detach", "q_set_require_grad",
    "q_is_require_grad", "q_expand", "q_transpose", "q_swap_dims", "q_permute", "q_flip",
    "q_select", "q_slice", "q_gather", "q_repeat_dim", "q_cat",
}


def canonical_class(trait, name):
    """The op's class in canonical mode, or None when nobody classed it."""
    if name in NOT_CANONICAL_OVERRIDES:
        return NOT_CANONICAL_OVERRIDES[name]
    if name in FEATURE_PROOF_OVERRIDES:
        return FEATURE_PROOF_OVERRIDES[name]
    if name in CANONICAL:
        return "canonical"
    if name in EXACT_CPU:
        return "exact-cpu"
    if name in FORWARDED:
        return "forwarded"
    if name in EXACT_FLOAT:
        return "exact"
    if trait in ("IntTensorOps", "BoolTensorOps", "TransactionOps"):
        return "exact"
    if trait == "QTensorOps":
        return "exact" if name in Q_MOVEMENT else "forwarded"
    return None


# Trace and guard kinds of parameter and result types (the `forward!` macro's notation).
KINDS = {
    "FloatTensor<Self>": "F",
    "IntTensor<Self>": "I",
    "BoolTensor<Self>": "Bo",
    "Option<FloatTensor<Self>>": "OF",
    "Option<BoolTensor<Self>>": "OB",
    "Vec<FloatTensor<Self>>": "VF",
    "Vec<IntTensor<Self>>": "VI",
    "Vec<BoolTensor<Self>>": "VB",
    "QuantizedTensor<Self>": "Q",
    "&Device<Self>": "Dev",
}
OUT_KINDS = {
    "FloatTensor<Self>": "F",
    "IntTensor<Self>": "I",
    "BoolTensor<Self>": "Bo",
    "(FloatTensor<Self>, IntTensor<Self>)": "FI",
    "(FloatTensor<Self>, FloatTensor<Self>)": "FF",
    "(IntTensor<Self>, IntTensor<Self>)": "II",
}
GUARD_CLASS = {"exact-cpu": "cpu", "forwarded": "fwd", "refused": "refused"}


def params(sig):
    """(name, type) of each parameter of a normalised signature."""
    inner = sig[sig.index("(") + 1 :]
    depth, k = 1, 0
    while depth:
        if inner[k] in "(<[":
            depth += 1
        elif inner[k] in ")>]" and not (inner[k] == ">" and inner[k - 1] == "-"):
            depth -= 1
        k += 1
    out, cur, depth = [], "", 0
    for ch in inner[: k - 1] + ",":
        if ch in "(<[":
            depth += 1
        elif ch in ")>]":
            depth -= 1
        if ch == "," and depth == 0:
            if cur.strip():
                n, t = cur.split(":", 1)
                out.append((n.strip(), t.strip()))
            cur = ""
        else:
            cur += ch
    return out


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
    tsv = ["trait\top\toverridden\tcanonical"]
    missing = []
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
            cls = canonical_class(trait, name)
            if cls is None:
                missing.append(name)
                cls = "?"
            elif cls == "canonical" and not over:
                sys.exit("op %s is classed canonical but not overridden" % name)
            tsv.append("%s\t%s\t%s\t%s" % (trait, name, "yes" if over else "no", cls))
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
            conv = "rebrand" if BRANDED.search(sig) else "plain"
            ps = params(sig)
            ins = ["%s %s" % (n, KINDS[t]) for n, t in ps if t in KINDS and KINDS[t] != "Dev"]
            ret = sig.split("->", 1)[1].strip() if ")" in sig and "->" in sig.rsplit(")", 1)[1] else ""
            out = OUT_KINDS.get(ret, "N")
            guard = ""
            if cls in GUARD_CLASS:
                cand = [(n, KINDS[t]) for n, t in ps if KINDS.get(t) in ("F", "I", "Bo", "Q", "Dev")]
                if not cand:
                    sys.exit("op %s needs a canonical-mode guard but has no tensor or device" % name)
                guard = " %s %s %s" % (GUARD_CLASS[cls], cand[0][0], cand[0][1])
            lines.append("            %s => %s [%s] %s%s;" % (sig, conv, ", ".join(ins), out, guard))
        lines.append("        }")
        lines.append("    };")
        lines.append("}")
        lines.append("pub(crate) use %s;" % macro)
        lines.append("")
    if missing:
        sys.exit(
            "ops forwarded without a canonical-mode class (add each to CANONICAL, EXACT_FLOAT, "
            "EXACT_CPU or FORWARDED in scripts/gen_forward.py): %s" % ", ".join(missing)
        )
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
