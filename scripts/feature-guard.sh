#!/usr/bin/env bash
# The feature guard: builds tests/feature-guard/ (a project that depends on `burn` with its
# default features, as users' projects do) and checks that Burn's features, unified into
# ditto's build by Cargo, change no bit silently:
#
#   1. burn-ndarray's `simd`: the bundled examples train to the pinned fingerprints anyway.
#   2. burn-cubecl's `autotune` (`--features wgpu`): refused by `build_check` and
#      `Trainer::fit`, with every Vulkan driver hidden (no device may be touched).
#   3. Burn's `fusion` (`--features wgpu`): `Ditto<Wgpu>` does not compile, and the compiler's
#      message names the feature and how to turn it off.
#
# Usage: scripts/feature-guard.sh [ndarray|all]   (default: all; `ndarray` is step 1 only)
#
# It builds in a target directory of its own (`$CARGO_TARGET_DIR-guard`, by default
# ~/.cache/ditto-target-guard): Burn with default features is a different build from the
# workspace's, and sharing the directory would evict nothing but would mix two feature sets.
# `all` builds the binary once, with `--features wgpu`: that binary runs step 1's checks as
# well (its burn-ndarray has `simd` on, checked below), so a separate NdArray-only build
# (cold 9m22s on 2 shared cores, 2m04s after a change to ditto's sources) is not needed.
# Measured before that change: cold 9m22s for step 1 and 7m16s more for steps 2 and 3 (wgpu,
# cubecl, fusion); after a change to ditto's sources 2m04s + 4m59s; unchanged, a few seconds
# plus about 15 s of training.
# After changing a ditto crate's dependencies, run `cargo build --release` here once to
# refresh tests/feature-guard/Cargo.lock (this script builds `--locked`).
set -euo pipefail
cd "$(dirname "$0")/../tests/feature-guard"

what="${1:-all}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ditto-target}-guard"
bin="$CARGO_TARGET_DIR/release/ditto-feature-guard"

features=()
[ "$what" = ndarray ] || features=(--features wgpu)
echo "feature guard: steps 1 and 2 (burn-ndarray's simd; burn-cubecl's autotune unless \`ndarray\`), target $CARGO_TARGET_DIR"
cargo build --release --locked "${features[@]}"
# (The tree is read whole first: `grep -q` closing the pipe early would fail it under pipefail.)
tree="$(cargo tree --locked "${features[@]}" -e features -i burn-ndarray)"
grep -q 'burn-ndarray feature "simd"' <<<"$tree" || {
  echo "feature guard: burn-ndarray's simd is not on in this build: the guard tests nothing" >&2
  exit 1
}
if [ "$what" != ndarray ]; then
  tree="$(cargo tree --locked --features wgpu -e features -i burn-cubecl)"
  grep -q 'burn-cubecl feature "autotune"' <<<"$tree" || {
    echo "feature guard: burn-cubecl's autotune is not on in this build: step 2 tests nothing" >&2
    exit 1
  }
fi
# The binary runs step 1's checks, and step 2's when built with `wgpu`. No Vulkan driver: a
# check that asked for a device would fail here instead of refusing.
VK_ICD_FILENAMES=/nonexistent VK_DRIVER_FILES=/nonexistent "$bin"

[ "$what" = ndarray ] && exit 0

echo "feature guard: step 3 (Burn's fusion: examples/fusion.rs must not compile)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if cargo build --release --locked --features wgpu --example fusion >"$log" 2>&1; then
  echo "feature guard: examples/fusion.rs compiled: Ditto<Fusion<..>> is not refused" >&2
  exit 1
fi
for want in \
  "is not a backend \`Ditto<B>\` can wrap" \
  "Burn's \`fusion\` feature is on" \
  "default-features = false"; do
  grep -qF "$want" "$log" || {
    cat "$log" >&2
    echo "feature guard: the compiler's message lacks: $want" >&2
    exit 1
  }
done
grep -F -m1 "is not a backend" "$log"
echo "feature guard: all three checks passed"
