//! The probe's bool cases: every bool op canonical mode forwards as exact. Booleans have no
//! rounding, but a device stores them its own way (a byte, a `u32`), so every op that builds,
//! converts, moves or combines them is run on a pattern with both values in every row and
//! column, and the results are compared as 0 or 1.

use burn::tensor::backend::Backend;
use burn::tensor::{Bool, Scalar, Shape, Slice, Tensor, Transaction};

use super::io::{Cases, Values, bits, ibits, rb, rf, ri};

/// A 4 x 4 pattern: no row or column is constant, and the counts differ per row.
const PATTERN: [bool; 16] = [
    true, false, false, true, false, false, false, true, true, true, false, true, false, true,
    true, true,
];

/// A second pattern, for the element-wise pairs (every combination of two values occurs).
const OTHER: [bool; 16] = [
    true, true, false, false, false, true, false, true, true, false, true, true, false, false,
    true, false,
];

fn as_bits(v: &[bool]) -> Vec<u32> {
    v.iter().map(|&b| u32::from(b)).collect()
}

pub(crate) fn run<X: Backend>(c: &mut Cases<'_, X>) {
    let n = PATTERN.len();
    let one = || vec![as_bits(&PATTERN)];
    let pair = || vec![as_bits(&PATTERN), as_bits(&OTHER)];
    let v = |c: &Cases<'_, X>| c.b(&PATTERN, &[n]);
    let w = |c: &Cases<'_, X>| c.b(&OTHER, &[n]);
    let grid = |c: &Cases<'_, X>| c.b(&PATTERN, &[4, 4]);
    let cube = |c: &Cases<'_, X>| c.b(&PATTERN, &[2, 2, 4]);
    let (fdt, idt, bdt) = (c.fdt(), c.idt(), c.bdt());

    c.case("bool_from_data", Values::Bool, one(), |c| rb::<X>(v(c)));
    c.case("bool_into_data", Values::Bool, one(), |c| rb::<X>(v(c)));
    c.case("bool_to_device", Values::Bool, one(), |c| {
        rb::<X>(X::bool_to_device(v(c), c.d))
    });
    c.case("bool_zeros", Values::Bool, vec![], |c| {
        rb::<X>(X::bool_zeros(Shape::new([5]), c.d, bdt))
    });
    c.case("bool_ones", Values::Bool, vec![], |c| {
        rb::<X>(X::bool_ones(Shape::new([5]), c.d, bdt))
    });
    c.case("bool_into_int", Values::Int, one(), |c| {
        ri::<X>(X::bool_into_int(v(c), idt))
    });
    c.case("bool_into_float", Values::F32, one(), |c| {
        rf::<X>(X::bool_into_float(v(c), fdt))
    });

    // Logic on every pair of values, and against each constant.
    let binary: [(&'static str, fn(_, _) -> _); 5] = [
        ("bool_equal", X::bool_equal),
        ("bool_not_equal", X::bool_not_equal),
        ("bool_and", X::bool_and),
        ("bool_or", X::bool_or),
        ("bool_xor", X::bool_xor),
    ];
    for (op, f) in binary {
        c.case(op, Values::Bool, pair(), |c| rb::<X>(f(v(c), w(c))));
    }
    c.case("bool_not", Values::Bool, one(), |c| {
        rb::<X>(X::bool_not(v(c)))
    });
    for s in [false, true] {
        let ins = || vec![as_bits(&PATTERN), vec![u32::from(s); n]];
        c.case("bool_equal_elem", Values::Bool, ins(), |c| {
            rb::<X>(X::bool_equal_elem(v(c), Scalar::Bool(s)))
        });
        c.case("bool_not_equal_elem", Values::Bool, ins(), |c| {
            rb::<X>(X::bool_not_equal_elem(v(c), Scalar::Bool(s)))
        });
        c.case("bool_mask_fill", Values::Bool, ins(), |c| {
            rb::<X>(X::bool_mask_fill(v(c), w(c), Scalar::Bool(s)))
        });
    }
    c.case("bool_mask_where", Values::Bool, pair(), |c| {
        rb::<X>(X::bool_mask_where(v(c), w(c), X::bool_not(v(c))))
    });

    // Reductions: all-false, all-true and the pattern.
    for t in [&[false; 4][..], &[true; 4][..], &PATTERN[..]] {
        let ins = vec![as_bits(t)];
        c.case("bool_any", Values::Bool, ins.clone(), |c| {
            rb::<X>(X::bool_any(c.b(t, &[t.len()])))
        });
        c.case("bool_all", Values::Bool, ins, |c| {
            rb::<X>(X::bool_all(c.b(t, &[t.len()])))
        });
    }
    for dim in 0..2 {
        c.case("bool_any_dim", Values::Bool, one(), |c| {
            rb::<X>(X::bool_any_dim(grid(c), dim))
        });
        c.case("bool_all_dim", Values::Bool, one(), |c| {
            rb::<X>(X::bool_all_dim(grid(c), dim))
        });
    }
    c.case("bool_argwhere", Values::Int, one(), |c| {
        ri::<X>(
            Tensor::<X, 2, Bool>::from_primitive(grid(c))
                .argwhere()
                .into_primitive(),
        )
    });

    // Data movement and indexing.
    c.case("bool_reshape", Values::Bool, one(), |c| {
        rb::<X>(X::bool_reshape(grid(c), Shape::new([2, 8])))
    });
    c.case("bool_transpose", Values::Bool, one(), |c| {
        rb::<X>(X::bool_transpose(grid(c)))
    });
    c.case("bool_swap_dims", Values::Bool, one(), |c| {
        rb::<X>(X::bool_swap_dims(cube(c), 0, 2))
    });
    c.case("bool_permute", Values::Bool, one(), |c| {
        rb::<X>(X::bool_permute(cube(c), &[2, 0, 1]))
    });
    c.case("bool_flip", Values::Bool, one(), |c| {
        rb::<X>(X::bool_flip(cube(c), &[0, 2]))
    });
    c.case("bool_repeat_dim", Values::Bool, one(), |c| {
        rb::<X>(X::bool_repeat_dim(grid(c), 1, 2))
    });
    c.case("bool_expand", Values::Bool, one(), |c| {
        rb::<X>(X::bool_expand(c.b(&PATTERN, &[1, n]), Shape::new([3, n])))
    });
    c.case("bool_unfold", Values::Bool, one(), |c| {
        rb::<X>(X::bool_unfold(v(c), 0, 5, 4))
    });
    c.case("bool_cat", Values::Bool, pair(), |c| {
        rb::<X>(X::bool_cat(vec![grid(c), c.b(&OTHER, &[4, 4])], 0))
    });
    let slices = [Slice::from(1..3), Slice::from(0..3)];
    c.case("bool_slice", Values::Bool, one(), |c| {
        rb::<X>(X::bool_slice(grid(c), &slices))
    });
    c.case("bool_slice_assign", Values::Bool, pair(), |c| {
        let value = c.b(&OTHER[..6], &[2, 3]);
        rb::<X>(X::bool_slice_assign(grid(c), &slices, value))
    });
    // Repeated indices: `or` is order-free, so the scatters have one answer.
    let idx = [3i64, 0, 2, 2, 1, 3, 0, 1];
    c.case("bool_gather", Values::Bool, vec![ibits(&idx)], |c| {
        rb::<X>(X::bool_gather(1, grid(c), c.i(&idx, &[4, 2])))
    });
    c.case("bool_select", Values::Bool, vec![ibits(&idx)], |c| {
        rb::<X>(X::bool_select(grid(c), 0, c.i(&idx, &[8])))
    });
    c.case("bool_scatter_or", Values::Bool, vec![ibits(&idx)], |c| {
        let value = c.b(&OTHER[..8], &[4, 2]);
        rb::<X>(X::bool_scatter_or(
            1,
            X::bool_not(grid(c)),
            c.i(&idx, &[4, 2]),
            value,
        ))
    });
    c.case("bool_select_or", Values::Bool, vec![ibits(&idx)], |c| {
        let value = c.b(&[OTHER, PATTERN].concat(), &[8, 4]);
        rb::<X>(X::bool_select_or(
            X::bool_not(grid(c)),
            0,
            c.i(&idx, &[8]),
            value,
        ))
    });

    // A transaction reads several tensors of every kind in one go: each arrives whole.
    let floats = [-0.0f32, 1e-40, f32::NAN, 2.5];
    let ins = vec![bits(&floats), ibits(&idx), as_bits(&PATTERN)];
    c.case("tr_execute", Values::F32, ins, |c| {
        let f = Tensor::<X, 1>::from_data(floats, c.d);
        let i = Tensor::<X, 1, burn::tensor::Int>::from_data(idx, c.d);
        let b = Tensor::<X, 1, Bool>::from_data(PATTERN, c.d);
        let read = Transaction::default()
            .register(f)
            .register(i)
            .register(b)
            .try_execute()
            .unwrap_or_default();
        let mut out = Vec::new();
        if let [f, i, b] = read.as_slice() {
            out.extend(f.iter::<f32>().map(f32::to_bits));
            out.extend(i.iter::<i64>().map(|x| x as u32));
            out.extend(b.iter::<i64>().map(|x| u32::from(x != 0)));
        }
        out
    });
}
