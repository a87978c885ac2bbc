//! Learning-rate schedules: pure functions of the step, so they carry no state to save.

use crate::config::ScheduleConfig;

/// Class: portable. The learning rate at `step` (0-based) of `total` steps.
pub fn learning_rate(cfg: &ScheduleConfig, base: f64, step: usize, total: usize) -> f64 {
    let warmup = cfg.warmup_steps();
    if step < warmup {
        return base * (step + 1) as f64 / warmup as f64;
    }
    match cfg {
        ScheduleConfig::Cosine(c) => {
            let span = total.saturating_sub(warmup).max(1) as f64;
            let t = ((step - warmup) as f64 / span).min(1.0);
            let end = base * c.final_fraction;
            end + (base - end) * 0.5 * (1.0 + libm::cos(core::f64::consts::PI * t))
        }
        ScheduleConfig::Constant(_) => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_stability() {
        let c = ScheduleConfig::Cosine(crate::config::CosineSchedule {
            warmup_steps: 2,
            final_fraction: 0.1,
        });
        let lrs: Vec<u64> = [0, 1, 2, 5, 11]
            .iter()
            .map(|s| learning_rate(&c, 0.01, *s, 12).to_bits())
            .collect();
        // Warm-up 0.005, 0.01, then cosine from 0.01 (+1 ulp from 0.001 + 0.009) to 0.001.
        assert_eq!(
            lrs,
            [
                4_572_414_629_676_717_179,
                4_576_918_229_304_087_675,
                4_576_918_229_304_087_676,
                4_575_848_913_998_004_464,
                4_563_270_212_825_095_801,
            ]
        );
        assert_eq!(f64::from_bits(lrs[1]), 0.01);
        let k = ScheduleConfig::default();
        assert_eq!(learning_rate(&k, 0.3, 7, 10), 0.3);
    }
}
