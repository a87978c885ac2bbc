//! `accuracy.svg`.

use std::path::Path;

use plotters::prelude::*;

use super::{Report, Res};

pub(super) fn plot_accuracy(path: &Path, r: &Report) -> Res<()> {
    let root = SVGBackend::new(path, (640, 360)).into_drawing_area();
    root.fill(&WHITE)?;
    let all: Vec<f64> = r.cells.iter().map(|c| f64::from(c.test_accuracy)).collect();
    let lo = all.iter().copied().fold(1.0, f64::min);
    let hi = all.iter().copied().fold(0.0, f64::max);
    let pad = ((hi - lo) * 0.2).max(0.005);
    let modes: Vec<&String> = r.seeds.keys().collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "test accuracy per seed (reference cells)",
            ("sans-serif", 18),
        )
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(55)
        .build_cartesian_2d(-0.5..(modes.len() as f64 - 0.5), (lo - pad)..(hi + pad))?;
    chart
        .configure_mesh()
        .x_labels(modes.len().max(1))
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                modes
                    .get(i as usize)
                    .map_or(String::new(), |m| (*m).clone())
            } else {
                String::new()
            }
        })
        .y_desc("test accuracy")
        .draw()?;
    let palette = [BLUE, RED, GREEN, MAGENTA, CYAN];
    for (i, (_, s)) in r.seeds.iter().enumerate() {
        let n = s.per_seed.len().max(1) as f64;
        let color = palette[i % palette.len()];
        chart.draw_series(s.per_seed.iter().enumerate().map(|(j, &(_, acc, _))| {
            // Spread the seeds across the strip so equal accuracies stay visible.
            let x = i as f64 - 0.3 + 0.6 * (j as f64 + 0.5) / n;
            Circle::new((x, f64::from(acc)), 4, color.filled())
        }))?;
        let m = s.accuracy.mean;
        chart.draw_series(LineSeries::new(
            [(i as f64 - 0.35, m), (i as f64 + 0.35, m)],
            color.stroke_width(2),
        ))?;
    }
    root.present()?;
    Ok(())
}
