//! `accuracy.svg`: test accuracy per run of each mode's reference setting.

use std::path::Path;

use plotters::prelude::*;

use crate::cmd::Res;

/// Draws one strip per mode (`(mode, accuracies)`), a dot per run and a line at the mean.
pub(crate) fn plot_accuracy(path: &Path, strips: &[(String, Vec<f64>)]) -> Res<()> {
    let root = SVGBackend::new(path, (640, 360)).into_drawing_area();
    root.fill(&WHITE)?;
    let all: Vec<f64> = strips.iter().flat_map(|(_, v)| v.iter().copied()).collect();
    let lo = all.iter().copied().fold(1.0, f64::min);
    let hi = all.iter().copied().fold(0.0, f64::max);
    let pad = ((hi - lo) * 0.2).max(0.005);
    let modes: Vec<&String> = strips.iter().map(|(m, _)| m).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "test accuracy per run (each mode's reference setting)",
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
    for (i, (_, values)) in strips.iter().enumerate() {
        let n = values.len().max(1) as f64;
        let color = palette[i % palette.len()];
        chart.draw_series(values.iter().enumerate().map(|(j, &acc)| {
            // Spread the runs across the strip so equal accuracies stay visible.
            let x = i as f64 - 0.3 + 0.6 * (j as f64 + 0.5) / n;
            Circle::new((x, acc), 4, color.filled())
        }))?;
        if !values.is_empty() {
            let m = values.iter().sum::<f64>() / n;
            chart.draw_series(LineSeries::new(
                [(i as f64 - 0.35, m), (i as f64 + 0.35, m)],
                color.stroke_width(2),
            ))?;
        }
    }
    root.present()?;
    Ok(())
}
