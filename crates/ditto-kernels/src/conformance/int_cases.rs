//! The probe's int cases: every int op canonical mode forwards as exact. Integer arithmetic
//! has no rounding, but the semantics at the edges are the device's: the sign of a remainder
//! and of a truncated quotient or mean, the index a tie reports, the order of equal keys.
//! The values mix signs and include ties; every result stays far inside 32 bits (Wgpu's ints
//! are i32, NdArray's i64), so the low 32 bits of each value are compared.

// The op tables below name each entry's type as `fn(_, ..) -> _` so that one array holds
// Burn's ops of one arity; clippy counts that as a complex type.
#![allow(clippy::type_complexity)]

use burn::tensor::Scalar;
use burn::tensor::backend::Backend;
use burn::tensor::{Shape, Slice};
use burn_backend::tensor::IndexingUpdateOp;

use super::io::{Cases, Values, ibits, rb, rf, ri};

/// Mixed signs, zero, ties (two 3s, two -7s) and a few larger values.
pub(crate) const INTS: [i64; 16] = [-7, 3, 0, -1, 13, 3, -100, 5, 1, -7, 2, 100, -13, 4, -2, 7];

/// Non-zero divisors of both signs.
const DIVISORS: [i64; 6] = [-7, -3, -1, 2, 3, 5];

pub(crate) fn run<X: Backend>(c: &mut Cases<'_, X>) {
    let n = INTS.len();
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for a in INTS {
        for b in INTS {
            xs.push(a);
            ys.push(b);
        }
    }
    let (mut qs, mut ds) = (Vec::new(), Vec::new());
    for a in INTS {
        for b in DIVISORS {
            qs.push(a);
            ds.push(b);
        }
    }
    let (xs, ys, qs, ds) = (&xs[..], &ys[..], &qs[..], &ds[..]);
    let pair = || vec![ibits(xs), ibits(ys)];
    let one = || vec![ibits(&INTS)];
    let v = |c: &Cases<'_, X>| c.i(&INTS, &[n]);
    let grid = |c: &Cases<'_, X>| c.i(&INTS, &[4, 4]);
    let (idt, bdt) = (c.idt(), c.bdt());

    c.case("int_from_data", Values::Int, one(), |c| ri::<X>(v(c)));
    c.case("int_into_data", Values::Int, one(), |c| ri::<X>(v(c)));
    c.case("int_to_device", Values::Int, one(), |c| {
        ri::<X>(X::int_to_device(v(c), c.d))
    });
    c.case("int_cast", Values::Int, one(), |c| {
        ri::<X>(X::int_cast(v(c), idt))
    });
    c.case("int_zeros", Values::Int, vec![], |c| {
        ri::<X>(X::int_zeros(Shape::new([3]), c.d, idt))
    });
    c.case("int_ones", Values::Int, vec![], |c| {
        ri::<X>(X::int_ones(Shape::new([3]), c.d, idt))
    });
    c.case("int_full", Values::Int, vec![], |c| {
        ri::<X>(X::int_full(Shape::new([3]), Scalar::Int(-5), c.d, idt))
    });
    c.case("int_arange", Values::Int, vec![], |c| {
        ri::<X>(X::int_arange(-3..4, c.d, idt))
    });
    c.case("int_arange_step", Values::Int, vec![], |c| {
        ri::<X>(X::int_arange_step(-5..6, 3, c.d, idt))
    });

    let binary: [(&'static str, fn(_, _) -> _); 6] = [
        ("int_add", X::int_add),
        ("int_sub", X::int_sub),
        ("int_mul", X::int_mul),
        ("bitwise_and", X::bitwise_and),
        ("bitwise_or", X::bitwise_or),
        ("bitwise_xor", X::bitwise_xor),
    ];
    for (op, f) in binary {
        c.case(op, Values::Int, pair(), |c| {
            ri::<X>(f(c.i(xs, &[n * n]), c.i(ys, &[n * n])))
        });
    }
    let division: [(&'static str, fn(_, _) -> _); 2] =
        [("int_div", X::int_div), ("int_remainder", X::int_remainder)];
    for (op, f) in division {
        c.case(op, Values::Int, vec![ibits(qs), ibits(ds)], |c| {
            ri::<X>(f(c.i(qs, &[qs.len()]), c.i(ds, &[ds.len()])))
        });
    }
    for s in DIVISORS {
        let sv = || vec![ibits(&INTS), ibits(&[s; 16])];
        let scalar: [(&'static str, fn(_, Scalar) -> _); 8] = [
            ("int_add_scalar", X::int_add_scalar),
            ("int_sub_scalar", X::int_sub_scalar),
            ("int_mul_scalar", X::int_mul_scalar),
            ("int_div_scalar", X::int_div_scalar),
            ("int_remainder_scalar", X::int_remainder_scalar),
            ("bitwise_and_scalar", X::bitwise_and_scalar),
            ("bitwise_or_scalar", X::bitwise_or_scalar),
            ("bitwise_xor_scalar", X::bitwise_xor_scalar),
        ];
        for (op, f) in scalar {
            c.case(op, Values::Int, sv(), |c| ri::<X>(f(v(c), Scalar::Int(s))));
        }
        let elem: [(&'static str, fn(_, Scalar, _) -> _); 6] = [
            ("int_equal_elem", X::int_equal_elem),
            ("int_not_equal_elem", X::int_not_equal_elem),
            ("int_greater_elem", X::int_greater_elem),
            ("int_greater_equal_elem", X::int_greater_equal_elem),
            ("int_lower_elem", X::int_lower_elem),
            ("int_lower_equal_elem", X::int_lower_equal_elem),
        ];
        for (op, f) in elem {
            c.case(op, Values::Bool, sv(), |c| {
                rb::<X>(f(v(c), Scalar::Int(s), bdt))
            });
        }
        c.case("int_mask_fill", Values::Int, sv(), |c| {
            let mask = X::int_lower_elem(v(c), Scalar::Int(0), bdt);
            ri::<X>(X::int_mask_fill(v(c), mask, Scalar::Int(s)))
        });
        c.case("int_clamp_min", Values::Int, sv(), |c| {
            ri::<X>(X::int_clamp_min(v(c), Scalar::Int(s)))
        });
        c.case("int_clamp_max", Values::Int, sv(), |c| {
            ri::<X>(X::int_clamp_max(v(c), Scalar::Int(s)))
        });
        c.case("int_clamp", Values::Int, sv(), |c| {
            ri::<X>(X::int_clamp(v(c), Scalar::Int(s), Scalar::Int(s + 6)))
        });
    }
    let compare: [(&'static str, fn(_, _, _) -> _); 6] = [
        ("int_equal", X::int_equal),
        ("int_not_equal", X::int_not_equal),
        ("int_greater", X::int_greater),
        ("int_greater_equal", X::int_greater_equal),
        ("int_lower", X::int_lower),
        ("int_lower_equal", X::int_lower_equal),
    ];
    for (op, f) in compare {
        c.case(op, Values::Bool, pair(), |c| {
            rb::<X>(f(c.i(xs, &[n * n]), c.i(ys, &[n * n]), bdt))
        });
    }
    let unary: [(&'static str, fn(_) -> _); 4] = [
        ("int_neg", X::int_neg),
        ("int_abs", X::int_abs),
        ("int_sign", X::int_sign),
        ("bitwise_not", X::bitwise_not),
    ];
    for (op, f) in unary {
        c.case(op, Values::Int, one(), |c| ri::<X>(f(v(c))));
    }
    // Shifts by 0..=4 of values of both signs (arithmetic right shift).
    let shifts: Vec<i64> = (0..n as i64).map(|i| i % 5).collect();
    let shift_in = || vec![ibits(&INTS), ibits(&shifts)];
    c.case("bitwise_left_shift", Values::Int, shift_in(), |c| {
        ri::<X>(X::bitwise_left_shift(v(c), c.i(&shifts, &[n])))
    });
    c.case("bitwise_right_shift", Values::Int, shift_in(), |c| {
        ri::<X>(X::bitwise_right_shift(v(c), c.i(&shifts, &[n])))
    });
    for s in 0..=4 {
        c.case("bitwise_left_shift_scalar", Values::Int, one(), |c| {
            ri::<X>(X::bitwise_left_shift_scalar(v(c), Scalar::Int(s)))
        });
        c.case("bitwise_right_shift_scalar", Values::Int, one(), |c| {
            ri::<X>(X::bitwise_right_shift_scalar(v(c), Scalar::Int(s)))
        });
    }
    c.case("int_matmul", Values::Int, one(), |c| {
        ri::<X>(X::int_matmul(
            c.i(&INTS[..6], &[2, 3]),
            c.i(&INTS[6..12], &[3, 2]),
        ))
    });

    // Reductions: sums, truncated means of negative totals, products of small values,
    // extremes and their indices (ties: the device's choice of index is compared too).
    let small = [2i64, -1, 3, -2, 1, -3, 2, 1];
    let reduce: [(&'static str, fn(_) -> _); 5] = [
        ("int_sum", X::int_sum),
        ("int_mean", X::int_mean),
        ("int_max", X::int_max),
        ("int_min", X::int_min),
        ("int_max_abs", X::int_max_abs),
    ];
    for (op, f) in reduce {
        c.case(op, Values::Int, one(), |c| ri::<X>(f(v(c))));
    }
    c.case("int_prod", Values::Int, vec![ibits(&small)], |c| {
        ri::<X>(X::int_prod(c.i(&small, &[8])))
    });
    c.case("int_prod_dim", Values::Int, vec![ibits(&small)], |c| {
        ri::<X>(X::int_prod_dim(c.i(&small, &[2, 4]), 1))
    });
    c.case("int_cumprod", Values::Int, vec![ibits(&small)], |c| {
        ri::<X>(X::int_cumprod(c.i(&small, &[2, 4]), 1))
    });
    let along: [(&'static str, fn(_, usize) -> _); 9] = [
        ("int_sum_dim", X::int_sum_dim),
        ("int_mean_dim", X::int_mean_dim),
        ("int_cumsum", X::int_cumsum),
        ("int_cummin", X::int_cummin),
        ("int_cummax", X::int_cummax),
        ("int_argmax", X::int_argmax),
        ("int_argmin", X::int_argmin),
        ("int_max_dim", X::int_max_dim),
        ("int_min_dim", X::int_min_dim),
    ];
    for (op, f) in along {
        for dim in 0..2 {
            c.case(op, Values::Int, one(), |c| ri::<X>(f(grid(c), dim)));
        }
    }
    c.case("int_max_abs_dim", Values::Int, one(), |c| {
        ri::<X>(X::int_max_abs_dim(grid(c), 1))
    });
    for dim in 0..2 {
        c.case("int_max_dim_with_indices", Values::Int, one(), |c| {
            let (m, i) = X::int_max_dim_with_indices(grid(c), dim);
            [ri::<X>(m), ri::<X>(i)].concat()
        });
        c.case("int_min_dim_with_indices", Values::Int, one(), |c| {
            let (m, i) = X::int_min_dim_with_indices(grid(c), dim);
            [ri::<X>(m), ri::<X>(i)].concat()
        });
    }
    c.case("int_topk", Values::Int, one(), |c| {
        ri::<X>(X::int_topk(v(c), 0, 5))
    });
    for descending in [false, true] {
        c.case("int_sort", Values::Int, one(), |c| {
            ri::<X>(X::int_sort(v(c), 0, descending))
        });
        c.case("int_argsort", Values::Int, one(), |c| {
            ri::<X>(X::int_argsort(v(c), 0, descending))
        });
        c.case("int_sort_with_indices", Values::Int, one(), |c| {
            let (s, i) = X::int_sort_with_indices(v(c), 0, descending);
            [ri::<X>(s), ri::<X>(i)].concat()
        });
    }
    let flags: [(&'static str, fn(_, _) -> _); 2] =
        [("int_any", X::int_any), ("int_all", X::int_all)];
    for (op, f) in flags {
        for t in [&[0i64, 0, 0][..], &INTS[..]] {
            c.case(op, Values::Bool, vec![ibits(t)], |c| {
                rb::<X>(f(c.i(t, &[t.len()]), bdt))
            });
        }
    }
    c.case("int_any_dim", Values::Bool, one(), |c| {
        rb::<X>(X::int_any_dim(grid(c), 1, bdt))
    });
    c.case("int_all_dim", Values::Bool, one(), |c| {
        rb::<X>(X::int_all_dim(grid(c), 0, bdt))
    });

    // Data movement and indexing.
    c.case("int_reshape", Values::Int, one(), |c| {
        ri::<X>(X::int_reshape(grid(c), Shape::new([2, 8])))
    });
    c.case("int_transpose", Values::Int, one(), |c| {
        ri::<X>(X::int_transpose(grid(c)))
    });
    let cube = |c: &Cases<'_, X>| c.i(&INTS, &[2, 2, 4]);
    c.case("int_swap_dims", Values::Int, one(), |c| {
        ri::<X>(X::int_swap_dims(cube(c), 0, 2))
    });
    c.case("int_permute", Values::Int, one(), |c| {
        ri::<X>(X::int_permute(cube(c), &[2, 0, 1]))
    });
    c.case("int_flip", Values::Int, one(), |c| {
        ri::<X>(X::int_flip(cube(c), &[0, 2]))
    });
    c.case("int_repeat_dim", Values::Int, one(), |c| {
        ri::<X>(X::int_repeat_dim(grid(c), 1, 2))
    });
    c.case("int_expand", Values::Int, one(), |c| {
        ri::<X>(X::int_expand(c.i(&INTS, &[1, n]), Shape::new([2, n])))
    });
    c.case("int_unfold", Values::Int, one(), |c| {
        ri::<X>(X::int_unfold(v(c), 0, 5, 4))
    });
    c.case("int_cat", Values::Int, one(), |c| {
        ri::<X>(X::int_cat(vec![grid(c), X::int_neg(grid(c))], 0))
    });
    let slices = [Slice::from(1..3), Slice::from(0..3)];
    c.case("int_slice", Values::Int, one(), |c| {
        ri::<X>(X::int_slice(grid(c), &slices))
    });
    c.case("int_slice_assign", Values::Int, one(), |c| {
        ri::<X>(X::int_slice_assign(
            grid(c),
            &slices,
            c.i(&INTS[..6], &[2, 3]),
        ))
    });
    c.case("int_mask_where", Values::Int, one(), |c| {
        let mask = X::int_greater_elem(v(c), Scalar::Int(0), bdt);
        ri::<X>(X::int_mask_where(v(c), mask, X::int_flip(v(c), &[0])))
    });
    let idx = [3i64, 0, 2, 2, 1, 3, 0, 1];
    c.case("int_gather", Values::Int, vec![ibits(&idx)], |c| {
        ri::<X>(X::int_gather(1, grid(c), c.i(&idx, &[4, 2])))
    });
    c.case("int_select", Values::Int, vec![ibits(&idx)], |c| {
        ri::<X>(X::int_select(grid(c), 0, c.i(&idx, &[8])))
    });
    c.case("int_gather_nd", Values::Int, vec![], |c| {
        ri::<X>(X::int_gather_nd(grid(c), c.i(&[2, 0, 3], &[3, 1])))
    });
    // Index-adds with repeated indices: integer sums, so the order cannot matter.
    c.case("int_scatter_add", Values::Int, vec![ibits(&idx)], |c| {
        let value = c.i(&INTS[..8], &[4, 2]);
        ri::<X>(X::int_scatter_add(1, grid(c), c.i(&idx, &[4, 2]), value))
    });
    c.case("int_select_add", Values::Int, vec![ibits(&idx)], |c| {
        let value = c.i(&[INTS, INTS].concat(), &[8, 4]);
        ri::<X>(X::int_select_add(grid(c), 0, c.i(&idx, &[8]), value))
    });
    c.case("int_scatter_nd", Values::Int, vec![], |c| {
        let values = c.i(&INTS[..12], &[3, 4]);
        let indices = c.i(&[2, 0, 2], &[3, 1]);
        ri::<X>(X::int_scatter_nd(
            grid(c),
            indices,
            values,
            IndexingUpdateOp::Add,
        ))
    });
    c.case("embedding", Values::F32, vec![ibits(&idx)], |c| {
        let weights = c.f(&super::VALUES, &[4, 6]);
        rf::<X>(X::embedding(weights, c.i(&idx, &[2, 4])))
    });
}
