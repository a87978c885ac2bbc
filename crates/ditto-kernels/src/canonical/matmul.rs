//! Canonical matrix multiplication: one FMA chain per output element, `k` ascending.
//!
//! `out[i][j] = fma(a[i][k-1], b[k-1][j], ... fma(a[i][1], b[1][j], fma(a[i][0], b[0][j], +0.0)))`
//!
//! The chain is never split: `k` is cut into cache blocks, but each block continues the same
//! accumulator (stored to `out` and reloaded, which is exact), and one thread computes the
//! whole chain of an output. Threads split the rows of `out` only, so the bits do not depend on
//! the thread count, the block sizes or the instruction set.

use std::cell::Cell;
use std::thread::LocalKey;

use rayon::prelude::*;

use super::error::{Error, check_len};
use super::simd::Isa;
use super::simd::microkernel::microkernel;

/// Class: portable (canonical). Element strides of a (batched) matrix operand: element
/// `[b][i][j]` is at `b * batch + i * row + j * col`. A zero stride broadcasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Strides {
    /// Distance between consecutive matrices of a batch.
    pub batch: usize,
    /// Distance between consecutive rows.
    pub row: usize,
    /// Distance between consecutive columns.
    pub col: usize,
}

impl Strides {
    /// Class: portable (canonical). Dense row-major `rows x cols` matrices, one after another.
    pub fn row_major(rows: usize, cols: usize) -> Self {
        Self {
            batch: rows * cols,
            row: cols,
            col: 1,
        }
    }

    /// Class: portable (canonical). The transpose view of dense row-major `rows x cols`
    /// matrices (so a `cols x rows` operand).
    pub fn transposed(rows: usize, cols: usize) -> Self {
        Self {
            batch: rows * cols,
            row: 1,
            col: cols,
        }
    }
}

/// Class: portable (canonical). `out = a · b` for row-major `a` (`m x k`), `b` (`k x n`) and
/// `out` (`m x n`), each output an FMA chain over `k` ascending from `+0.0`.
///
/// Errors if a buffer's length does not match its shape.
pub fn matmul(
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
    m: usize,
    k: usize,
    n: usize,
) -> Result<(), Error> {
    matmul_batched(a, b, out, 1, m, k, n)
}

/// Class: portable (canonical). `batch` independent row-major products stored one after
/// another: `out[t] = a[t] · b[t]`, each output as in [`matmul`].
pub fn matmul_batched(
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
    batch: usize,
    m: usize,
    k: usize,
    n: usize,
) -> Result<(), Error> {
    check_len("matmul", "a", a.len(), batch * m * k)?;
    check_len("matmul", "b", b.len(), batch * k * n)?;
    matmul_strided(
        Isa::active(),
        a,
        Strides::row_major(m, k),
        b,
        Strides::row_major(k, n),
        out,
        batch,
        m,
        k,
        n,
    )
}

/// Class: portable (canonical). The general form: operands with any [`Strides`] (transposed
/// or broadcast views cost nothing extra: they are read once while packing), a dense
/// row-major `out` of `batch x m x n`, and an explicit instruction set (`isa` only changes the
/// speed: every [`Isa`] gives identical bits; one the CPU lacks falls back to the next best).
#[allow(clippy::too_many_arguments)]
pub fn matmul_strided(
    isa: Isa,
    a: &[f32],
    sa: Strides,
    b: &[f32],
    sb: Strides,
    out: &mut [f32],
    batch: usize,
    m: usize,
    k: usize,
    n: usize,
) -> Result<(), Error> {
    strided(isa, a, sa, b, sb, out, [batch, m, k, n], false)
}

/// Class: portable (canonical). [`matmul_strided`] continuing each output's chain from the
/// value `out` holds (`acc = out[i][j]` instead of `+0.0`), so a product whose `k` axis is cut
/// into consecutive pieces (micro-batches of a weight gradient `xᵀ · dy`) gives, piece after
/// piece, the bits of one product over the whole axis. `k == 0` leaves `out` unchanged.
#[allow(clippy::too_many_arguments)]
pub fn matmul_strided_from(
    isa: Isa,
    a: &[f32],
    sa: Strides,
    b: &[f32],
    sb: Strides,
    out: &mut [f32],
    batch: usize,
    m: usize,
    k: usize,
    n: usize,
) -> Result<(), Error> {
    strided(isa, a, sa, b, sb, out, [batch, m, k, n], true)
}

#[allow(clippy::too_many_arguments)]
fn strided(
    isa: Isa,
    a: &[f32],
    sa: Strides,
    b: &[f32],
    sb: Strides,
    out: &mut [f32],
    [batch, m, k, n]: [usize; 4],
    from: bool,
) -> Result<(), Error> {
    check_len("matmul", "out", out.len(), batch * m * n)?;
    check_span("a", a.len(), sa, batch, m, k)?;
    check_span("b", b.len(), sb, batch, k, n)?;
    if out.is_empty() {
        return Ok(());
    }
    if k == 0 {
        if !from {
            out.fill(0.0);
        }
        return Ok(());
    }
    let isa = isa.clamp();
    for (t, out_t) in out.chunks_mut(m * n).enumerate() {
        let a_t = View {
            data: a,
            offset: t * sa.batch,
            s: sa,
        };
        let b_t = View {
            data: b,
            offset: t * sb.batch,
            s: sb,
        };
        gemm(isa, a_t, b_t, out_t, [m, k, n], from);
    }
    Ok(())
}

/// Columns of `k` per cache block (the chain continues across blocks).
const KC: usize = 256;
/// Below this many multiply-adds a product runs on the calling thread.
const PARALLEL_WORK: usize = 1 << 18;

#[derive(Clone, Copy)]
struct View<'a> {
    data: &'a [f32],
    offset: usize,
    s: Strides,
}

impl View<'_> {
    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> f32 {
        self.data[self.offset + i * self.s.row + j * self.s.col]
    }
}

fn check_span(
    what: &str,
    len: usize,
    s: Strides,
    batch: usize,
    rows: usize,
    cols: usize,
) -> Result<(), Error> {
    if batch == 0 || rows == 0 || cols == 0 {
        return Ok(());
    }
    let last = (batch - 1)
        .checked_mul(s.batch)
        .and_then(|x| x.checked_add((rows - 1).checked_mul(s.row)?))
        .and_then(|x| x.checked_add((cols - 1).checked_mul(s.col)?));
    match last {
        Some(last) if last < len => Ok(()),
        _ => Err(Error::shape(
            "matmul",
            format!(
                "{what} ({batch} x {rows} x {cols}, strides {s:?}) reaches past its {len} elements"
            ),
        )),
    }
}

/// One product into dense row-major `out` (`m x n`).
/// `from`: each chain starts from the value in `out` instead of `+0.0`.
fn gemm(isa: Isa, a: View<'_>, b: View<'_>, out: &mut [f32], [m, k, n]: [usize; 3], from: bool) {
    let (_, nr) = isa.tile();
    let npanels = n.div_ceil(nr);
    // B packed once, whole k: panel jp holds b[p][jp*nr + j] at [jp][p][j], zero padded.
    with_buffer(&BPACK, npanels * k * nr, |bpack| {
        let pack_b = |(jp, panel): (usize, &mut [f32])| pack_b_panel(b, panel, jp * nr, k, n, nr);
        let parallel = m * n * k >= PARALLEL_WORK && rayon::current_num_threads() > 1;
        if parallel {
            bpack.par_chunks_mut(k * nr).enumerate().for_each(pack_b);
        } else {
            bpack.chunks_mut(k * nr).enumerate().for_each(pack_b);
        }
        // Row blocks: a multiple of mr, small enough to give every thread several blocks.
        let threads = if parallel {
            rayon::current_num_threads()
        } else {
            1
        };
        let (mr, _) = isa.tile();
        let mc = (m.div_ceil(4 * threads).max(32).div_ceil(mr) * mr).clamp(mr, 16 * mr);
        let block = |(rb, out_rows): (usize, &mut [f32])| {
            row_block(isa, a, bpack, out_rows, rb * mc, [k, n], from);
        };
        if parallel {
            out.par_chunks_mut(mc * n).enumerate().for_each(block);
        } else {
            out.chunks_mut(mc * n).enumerate().for_each(block);
        }
    });
}

thread_local! {
    /// Packing buffers kept per thread between products (their old contents are never read:
    /// every packed element, padding included, is written before use).
    static BPACK: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
    static APACK: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` on `len` elements of this thread's `buffer` (taken out of its cell for the call,
/// so a nested product on the same thread gets a fresh one).
fn with_buffer<R>(
    buffer: &'static LocalKey<Cell<Vec<f32>>>,
    len: usize,
    f: impl FnOnce(&mut [f32]) -> R,
) -> R {
    let mut v = buffer.take();
    if v.len() < len {
        v.resize(len, 0.0);
    }
    let r = f(&mut v[..len]);
    buffer.set(v);
    r
}

/// Packs columns `j0 .. j0 + nr` of `b` (`k x n`) as `[p][j]`, zero past column `n`.
fn pack_b_panel(b: View<'_>, panel: &mut [f32], j0: usize, k: usize, n: usize, nr: usize) {
    let w = nr.min(n - j0);
    if w < nr {
        for row in panel.chunks_exact_mut(nr) {
            row[w..].fill(0.0);
        }
    }
    if b.s.col == 1 {
        // Rows of b are contiguous: one slice copy per p.
        for (p, row) in panel.chunks_exact_mut(nr).enumerate() {
            let at = b.offset + p * b.s.row + j0;
            row[..w].copy_from_slice(&b.data[at..at + w]);
        }
    } else if b.s.row == 1 {
        // Columns of b are contiguous (a transposed operand): read each column in order.
        for j in 0..w {
            let at = b.offset + (j0 + j) * b.s.col;
            for (row, &v) in panel.chunks_exact_mut(nr).zip(&b.data[at..at + k]) {
                row[j] = v;
            }
        }
    } else {
        for (p, row) in panel.chunks_exact_mut(nr).enumerate() {
            for (j, d) in row[..w].iter_mut().enumerate() {
                *d = b.at(p, j0 + j);
            }
        }
    }
}

/// Packs rows `i0 .. i0 + mr` and columns `k0 .. k0 + kc` of `a` as `[p][i]`, zero past
/// row `i0 + h`.
fn pack_a_panel(a: View<'_>, panel: &mut [f32], i0: usize, h: usize, k0: usize, mr: usize) {
    let kc = panel.len() / mr;
    if h < mr {
        for col in panel.chunks_exact_mut(mr) {
            col[h..].fill(0.0);
        }
    }
    if a.s.col == 1 {
        // Rows of a are contiguous: read each row in order.
        for i in 0..h {
            let at = a.offset + (i0 + i) * a.s.row + k0;
            for (col, &v) in panel.chunks_exact_mut(mr).zip(&a.data[at..at + kc]) {
                col[i] = v;
            }
        }
    } else if a.s.row == 1 {
        // Columns of a are contiguous (a transposed operand): one slice copy per p.
        for (p, col) in panel.chunks_exact_mut(mr).enumerate() {
            let at = a.offset + (k0 + p) * a.s.col + i0;
            col[..h].copy_from_slice(&a.data[at..at + h]);
        }
    } else {
        for (p, col) in panel.chunks_exact_mut(mr).enumerate() {
            for (i, d) in col[..h].iter_mut().enumerate() {
                *d = a.at(i0 + i, k0 + p);
            }
        }
    }
}

/// Rows `r0 .. r0 + out_rows.len() / n` of the product.
fn row_block(
    isa: Isa,
    a: View<'_>,
    bpack: &[f32],
    out_rows: &mut [f32],
    r0: usize,
    [k, n]: [usize; 2],
    from: bool,
) {
    let (mr, nr) = isa.tile();
    let rows = out_rows.len() / n;
    let mpanels = rows.div_ceil(mr);
    let npanels = n.div_ceil(nr);
    let mut tile = [0.0f32; MAX_TILE];
    let tile = &mut tile[..mr * nr];
    with_buffer(&APACK, mpanels * KC.min(k) * mr, |apack| {
        let mut k0 = 0;
        while k0 < k {
            let kc = KC.min(k - k0);
            // A block packed as [ip][p][i], zero padded past the last row.
            for ip in 0..mpanels {
                let panel = &mut apack[ip * kc * mr..(ip + 1) * kc * mr];
                let h = mr.min(rows - ip * mr);
                pack_a_panel(a, panel, r0 + ip * mr, h, k0, mr);
            }
            for jp in 0..npanels {
                let j0 = jp * nr;
                let w = nr.min(n - j0);
                let bpanel = &bpack[jp * k * nr + k0 * nr..jp * k * nr + (k0 + kc) * nr];
                for ip in 0..mpanels {
                    let i0 = ip * mr;
                    let h = mr.min(rows - i0);
                    // The chain starts from +0.0 (or `out`'s value when continuing); later
                    // blocks continue from the stored value.
                    tile.fill(0.0);
                    if k0 > 0 || from {
                        for i in 0..h {
                            let src = &out_rows[(i0 + i) * n + j0..(i0 + i) * n + j0 + w];
                            tile[i * nr..i * nr + w].copy_from_slice(src);
                        }
                    }
                    let apanel = &apack[ip * kc * mr..(ip + 1) * kc * mr];
                    microkernel(isa, kc, apanel, bpanel, tile);
                    for i in 0..h {
                        out_rows[(i0 + i) * n + j0..(i0 + i) * n + j0 + w]
                            .copy_from_slice(&tile[i * nr..i * nr + w]);
                    }
                }
            }
            k0 += kc;
        }
    });
}

/// The largest `mr * nr` of any [`Isa::tile`].
const MAX_TILE: usize = 8 * 32;
