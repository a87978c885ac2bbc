//! The probe's float cases: every float op canonical mode forwards as exact, on the curated
//! values ([`VALUES`]: signed zeros, subnormals, ties, the largest finite value, infinities,
//! NaN), element-wise ops on every pair of them.

// The op tables below name each entry's type as `fn(_, ..) -> _` so that one array holds
// Burn's ops of one arity; clippy counts that as a complex type.
#![allow(clippy::type_complexity)]

use burn::tensor::Scalar;
use burn::tensor::backend::Backend;
use burn::tensor::{Shape, Slice};

use super::VALUES;
use super::io::{Cases, Values, bits, ibits, rb, rf};

/// The scalars of the `*_scalar`, `*_elem` and `mask_fill` cases.
const SCALARS: [f32; 4] = [-0.0, 0.5, 1e-40, 3.0];

pub(crate) fn run<X: Backend>(c: &mut Cases<'_, X>) {
    let n = VALUES.len();
    let (mut xs, mut ys) = (Vec::with_capacity(n * n), Vec::with_capacity(n * n));
    for a in VALUES {
        for b in VALUES {
            xs.push(a);
            ys.push(b);
        }
    }
    let (xs, ys) = (&xs[..], &ys[..]);
    let pair = || vec![bits(xs), bits(ys)];
    let one = || vec![bits(&VALUES)];
    let v = |c: &Cases<'_, X>| c.f(&VALUES, &[n]);
    let grid = |c: &Cases<'_, X>| c.f(&VALUES, &[4, 6]);
    let (fdt, bdt) = (c.fdt(), c.bdt());

    c.case("float_from_data", Values::F32, one(), |c| rf::<X>(v(c)));
    c.case("float_into_data", Values::F32, one(), |c| rf::<X>(v(c)));
    c.case("float_to_device", Values::F32, one(), |c| {
        rf::<X>(X::float_to_device(v(c), c.d))
    });
    c.case("float_detach", Values::F32, one(), |c| {
        rf::<X>(X::float_detach(v(c)))
    });
    c.case("float_set_require_grad", Values::F32, one(), |c| {
        rf::<X>(X::float_set_require_grad(v(c), true))
    });
    c.case("float_is_require_grad", Values::Bool, vec![], |c| {
        vec![u32::from(X::float_is_require_grad(&v(c)))]
    });
    for s in SCALARS {
        let full = Scalar::Float(f64::from(s));
        c.case("float_full", Values::F32, vec![vec![s.to_bits(); 3]], |c| {
            rf::<X>(X::float_full(Shape::new([3]), full, c.d, fdt))
        });
    }
    c.case("float_zeros", Values::F32, vec![], |c| {
        rf::<X>(X::float_zeros(Shape::new([5]), c.d, fdt))
    });
    c.case("float_ones", Values::F32, vec![], |c| {
        rf::<X>(X::float_ones(Shape::new([5]), c.d, fdt))
    });

    // Element-wise arithmetic on every pair, and with scalars.
    let binary: [(&'static str, fn(_, _) -> _); 3] = [
        ("float_add", X::float_add),
        ("float_sub", X::float_sub),
        ("float_mul", X::float_mul),
    ];
    for (op, f) in binary {
        c.case(op, Values::F32, pair(), |c| {
            rf::<X>(f(c.f(xs, &[n * n]), c.f(ys, &[n * n])))
        });
    }
    let unary: [(&'static str, fn(_) -> _); 6] = [
        ("float_neg", X::float_neg),
        ("float_abs", X::float_abs),
        ("float_round", X::float_round),
        ("float_floor", X::float_floor),
        ("float_ceil", X::float_ceil),
        ("float_trunc", X::float_trunc),
    ];
    for (op, f) in unary {
        c.case(op, Values::F32, one(), |c| rf::<X>(f(v(c))));
    }
    for s in SCALARS {
        let sv = || vec![bits(&VALUES), vec![s.to_bits(); n]];
        let sc = Scalar::Float(f64::from(s));
        let scalar: [(&'static str, fn(_, Scalar) -> _); 3] = [
            ("float_add_scalar", X::float_add_scalar),
            ("float_sub_scalar", X::float_sub_scalar),
            ("float_mul_scalar", X::float_mul_scalar),
        ];
        for (op, f) in scalar {
            c.case(op, Values::F32, sv(), |c| rf::<X>(f(v(c), sc)));
        }
        let elem: [(&'static str, fn(_, Scalar, _) -> _); 6] = [
            ("float_equal_elem", X::float_equal_elem),
            ("float_not_equal_elem", X::float_not_equal_elem),
            ("float_greater_elem", X::float_greater_elem),
            ("float_greater_equal_elem", X::float_greater_equal_elem),
            ("float_lower_elem", X::float_lower_elem),
            ("float_lower_equal_elem", X::float_lower_equal_elem),
        ];
        for (op, f) in elem {
            c.case(op, Values::Bool, sv(), |c| rb::<X>(f(v(c), sc, bdt)));
        }
        c.case("float_mask_fill", Values::F32, sv(), |c| {
            let mask = X::float_lower_elem(v(c), Scalar::Float(1.0), bdt);
            rf::<X>(X::float_mask_fill(v(c), mask, sc))
        });
    }
    let compare: [(&'static str, fn(_, _, _) -> _); 6] = [
        ("float_equal", X::float_equal),
        ("float_not_equal", X::float_not_equal),
        ("float_greater", X::float_greater),
        ("float_greater_equal", X::float_greater_equal),
        ("float_lower", X::float_lower),
        ("float_lower_equal", X::float_lower_equal),
    ];
    for (op, f) in compare {
        c.case(op, Values::Bool, pair(), |c| {
            rb::<X>(f(c.f(xs, &[n * n]), c.f(ys, &[n * n]), bdt))
        });
    }
    c.case("float_is_nan", Values::Bool, one(), |c| {
        rb::<X>(X::float_is_nan(v(c), bdt))
    });
    c.case("float_is_inf", Values::Bool, one(), |c| {
        rb::<X>(X::float_is_inf(v(c), bdt))
    });
    c.case("float_mask_where", Values::F32, one(), |c| {
        let mask = X::float_greater_elem(v(c), Scalar::Float(0.0), bdt);
        rf::<X>(X::float_mask_where(v(c), mask, X::float_flip(v(c), &[0])))
    });

    // Reductions to a flag: a tensor of zeros of both signs is all-false.
    let zeros = [0.0f32, -0.0, 0.0, -0.0];
    for t in [&zeros[..], &VALUES[..]] {
        let ins = vec![bits(t)];
        c.case("float_any", Values::Bool, ins.clone(), |c| {
            rb::<X>(X::float_any(c.f(t, &[t.len()]), bdt))
        });
        c.case("float_all", Values::Bool, ins, |c| {
            rb::<X>(X::float_all(c.f(t, &[t.len()]), bdt))
        });
    }
    c.case("float_any_dim", Values::Bool, one(), |c| {
        rb::<X>(X::float_any_dim(grid(c), 1, bdt))
    });
    c.case("float_all_dim", Values::Bool, one(), |c| {
        rb::<X>(X::float_all_dim(grid(c), 0, bdt))
    });

    // Data movement: every element must arrive with its bits (a device that canonicalises
    // NaN payloads or flushes subnormals while copying fails here).
    c.case("float_reshape", Values::F32, one(), |c| {
        rf::<X>(X::float_reshape(grid(c), Shape::new([6, 4])))
    });
    c.case("float_transpose", Values::F32, one(), |c| {
        rf::<X>(X::float_transpose(grid(c)))
    });
    let cube = |c: &Cases<'_, X>| c.f(&VALUES, &[2, 3, 4]);
    c.case("float_swap_dims", Values::F32, one(), |c| {
        rf::<X>(X::float_swap_dims(cube(c), 0, 2))
    });
    c.case("float_permute", Values::F32, one(), |c| {
        rf::<X>(X::float_permute(cube(c), &[2, 0, 1]))
    });
    c.case("float_flip", Values::F32, one(), |c| {
        rf::<X>(X::float_flip(cube(c), &[0, 2]))
    });
    c.case("float_repeat_dim", Values::F32, one(), |c| {
        rf::<X>(X::float_repeat_dim(grid(c), 0, 2))
    });
    c.case("float_expand", Values::F32, one(), |c| {
        rf::<X>(X::float_expand(c.f(&VALUES, &[1, n]), Shape::new([3, n])))
    });
    c.case("float_unfold", Values::F32, one(), |c| {
        rf::<X>(X::float_unfold(v(c), 0, 4, 3))
    });
    c.case("float_cat", Values::F32, one(), |c| {
        rf::<X>(X::float_cat(vec![grid(c), X::float_neg(grid(c))], 1))
    });
    let slices = [Slice::from(1..3), Slice::from(2..5)];
    c.case("float_slice", Values::F32, one(), |c| {
        rf::<X>(X::float_slice(grid(c), &slices))
    });
    c.case("float_slice_assign", Values::F32, one(), |c| {
        let value = c.f(&VALUES[..6], &[2, 3]);
        rf::<X>(X::float_slice_assign(X::float_neg(grid(c)), &slices, value))
    });
    let idx = [3i64, 0, 5, 5, 1, 2, 0, 4];
    let indices = vec![ibits(&idx)];
    c.case("float_gather", Values::F32, indices.clone(), |c| {
        rf::<X>(X::float_gather(1, grid(c), c.i(&idx, &[4, 2])))
    });
    let rows = [3i64, 0, 2, 2, 1];
    c.case("float_select", Values::F32, vec![ibits(&rows)], |c| {
        rf::<X>(X::float_select(grid(c), 0, c.i(&rows, &[5])))
    });
    c.case("float_gather_nd", Values::F32, indices, |c| {
        rf::<X>(X::float_gather_nd(grid(c), c.i(&[2, 0, 3], &[3, 1])))
    });
}
