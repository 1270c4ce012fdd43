//! How a player's value compares with the server median: the verdict in the figure's own
//! direction ([`Better`]), how it is written and coloured, and the ratio scale of card bars.

use plotters::style::RGBColor;

use super::canvas::{fmt_num, theme};
use crate::metrics::Better;

/// Within this many per cent of the median a value is about even with it.
const EVEN_PCT: f64 = 2.0;

/// The largest value ÷ median a card bar shows at its true length; longer bars stop at the
/// track's end, which is marked.
pub(crate) const BAR_CAP: f64 = 3.0;

/// The judgement of a value against the median.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Better,
    Worse,
    /// Within [`EVEN_PCT`] of the median.
    Even,
    /// A value or the median is missing.
    Unknown,
}

/// A value against the median: the verdict and the difference in per cent of the median
/// (`None` when there is no per cent, e.g. a median of 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Comparison {
    pub verdict: Verdict,
    pub diff_pct: Option<f64>,
}

/// Compares `value` with `median` for a figure whose better direction is `better`.
pub(crate) fn compare(value: Option<f64>, median: Option<f64>, better: Better) -> Comparison {
    let (Some(v), Some(m)) = (value, median) else {
        return unknown();
    };
    if !(v.is_finite() && m.is_finite()) {
        return unknown();
    }
    let diff_pct = (m != 0.0).then(|| (v - m) / m.abs() * 100.0);
    let above = match diff_pct {
        Some(d) if d.abs() < EVEN_PCT => None,
        Some(d) => Some(d > 0.0),
        None if v == 0.0 => None,
        None => Some(v > 0.0),
    };
    let verdict = match above {
        None => Verdict::Even,
        Some(above) if above == (better == Better::Higher) => Verdict::Better,
        Some(_) => Verdict::Worse,
    };
    Comparison { verdict, diff_pct }
}

fn unknown() -> Comparison {
    Comparison {
        verdict: Verdict::Unknown,
        diff_pct: None,
    }
}

impl Comparison {
    /// The colour of the verdict: teal better, orange worse, grey otherwise; never red or blue,
    /// which are the teams'.
    pub fn colour(&self) -> RGBColor {
        match self.verdict {
            Verdict::Better => theme::BETTER,
            Verdict::Worse => theme::WORSE,
            Verdict::Even | Verdict::Unknown => theme::MUTED,
        }
    }

    /// The verdict in words, so it never rests on colour: "+11% · better", "−25% · better"
    /// (lower is better), "−30% · worse", "+1% · even", "—" without data.
    pub fn label(&self) -> String {
        let word = match self.verdict {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            Verdict::Even => "even",
            Verdict::Unknown => return "—".to_string(),
        };
        match self.diff_pct {
            Some(d) if d.abs() < 0.5 => format!("±0% · {word}"),
            Some(d) => format!(
                "{}{}% · {word}",
                if d > 0.0 { "+" } else { "−" },
                fmt_num(d.abs().round())
            ),
            None => word.to_string(),
        }
    }
}

/// A card bar on a track `track` px long, where the median sits at `track / BAR_CAP`: the
/// length in pixels, proportional to value ÷ median, and whether it was cut at the cap. `None`
/// when there is no ratio (a value or median missing, or a median that is not positive).
pub(crate) fn bar_length(
    value: Option<f64>,
    median: Option<f64>,
    track: i32,
) -> Option<(i32, bool)> {
    let (v, m) = (value?, median?);
    if !(v.is_finite() && m.is_finite() && m > 0.0) {
        return None;
    }
    let ratio = v.max(0.0) / m;
    let capped = ratio > BAR_CAP;
    let len = (ratio.min(BAR_CAP) / BAR_CAP * f64::from(track)).round() as i32;
    Some((len, capped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_the_direction() {
        let c = |v, m, b| compare(Some(v), Some(m), b);
        assert_eq!(c(310.0, 280.0, Better::Higher).verdict, Verdict::Better);
        assert_eq!(c(310.0, 280.0, Better::Lower).verdict, Verdict::Worse);
        assert_eq!(c(900.0, 1200.0, Better::Lower).verdict, Verdict::Better);
        assert_eq!(c(1.0, 1.01, Better::Higher).verdict, Verdict::Even);
        assert_eq!(c(3.0, 0.0, Better::Higher).verdict, Verdict::Better);
        assert_eq!(c(0.0, 0.0, Better::Lower).verdict, Verdict::Even);
        assert_eq!(
            compare(None, Some(1.0), Better::Higher).verdict,
            Verdict::Unknown
        );
        assert_eq!(
            compare(Some(f64::NAN), Some(1.0), Better::Higher).verdict,
            Verdict::Unknown
        );
    }

    #[test]
    fn labels_carry_sign_and_word() {
        let l = |v, m, b| compare(Some(v), Some(m), b).label();
        assert_eq!(l(310.0, 280.0, Better::Higher), "+11% · better");
        assert_eq!(l(900.0, 1200.0, Better::Lower), "−25% · better");
        assert_eq!(l(2.1, 3.0, Better::Higher), "−30% · worse");
        assert_eq!(l(1.0, 1.01, Better::Higher), "−1% · even");
        assert_eq!(l(1.0, 1.001, Better::Higher), "±0% · even");
        assert_eq!(l(3.0, 0.0, Better::Lower), "worse");
        assert_eq!(compare(None, None, Better::Lower).label(), "—");
    }

    #[test]
    fn bars_are_proportional_up_to_the_cap() {
        // Track 240: the median at 80 px.
        assert_eq!(bar_length(Some(1.0), Some(1.0), 240), Some((80, false)));
        assert_eq!(bar_length(Some(104.0), Some(100.0), 240), Some((83, false)));
        assert_eq!(
            bar_length(Some(220.0), Some(100.0), 240),
            Some((176, false))
        );
        assert_eq!(
            bar_length(Some(300.0), Some(100.0), 240),
            Some((240, false))
        );
        assert_eq!(bar_length(Some(301.0), Some(100.0), 240), Some((240, true)));
        assert_eq!(bar_length(Some(-5.0), Some(100.0), 240), Some((0, false)));
        assert_eq!(bar_length(Some(1.0), Some(0.0), 240), None);
        assert_eq!(bar_length(None, Some(1.0), 240), None);
    }
}
