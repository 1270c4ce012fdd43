//! The fixed choices of command options: heatmap kinds, and the figures a leaderboard ranks
//! (every entry of [`FIGURES`], in its order).

use std::borrow::Cow;

use crate::heat::HeatKind;
use crate::metrics::{FIGURES, Figure};

/// What a heatmap shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poise::ChoiceParameter)]
pub enum HeatKindChoice {
    #[name = "kills"]
    Kills,
    #[name = "deaths"]
    Deaths,
    #[name = "movement"]
    Movement,
}

impl From<HeatKindChoice> for HeatKind {
    fn from(c: HeatKindChoice) -> Self {
        match c {
            HeatKindChoice::Kills => HeatKind::Kills,
            HeatKindChoice::Deaths => HeatKind::Deaths,
            HeatKindChoice::Movement => HeatKind::Movement,
        }
    }
}

/// A figure of [`FIGURES`] as a command option: Discord shows the figures' keys and sends back
/// the chosen one's place in the list. Written by hand because the list is data, not an enum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FigureChoice(pub &'static Figure);

impl poise::ChoiceParameter for FigureChoice {
    fn list() -> Cow<'static, [poise::CommandParameterChoice]> {
        FIGURES
            .iter()
            .map(|f| poise::CommandParameterChoice {
                name: f.key.into(),
                localizations: Default::default(),
                // What the derive macro fills in; the struct has no constructor.
                __non_exhaustive: (),
            })
            .collect()
    }

    fn from_index(index: usize) -> Option<Self> {
        FIGURES.get(index).map(FigureChoice)
    }

    fn from_name(name: &str) -> Option<Self> {
        Figure::by_key(name).map(FigureChoice)
    }

    fn name(&self) -> &'static str {
        self.0.key
    }

    fn localized_name(&self, _locale: &str) -> Option<&'static str> {
        None
    }
}

#[cfg(test)]
mod tests {
    use poise::ChoiceParameter;

    use super::*;

    #[test]
    fn every_figure_is_a_choice_sent_back_as_its_place() {
        let list = FigureChoice::list();
        assert_eq!(list.len(), FIGURES.len());
        for (i, f) in FIGURES.iter().enumerate() {
            assert_eq!(list[i].name, f.key);
            assert_eq!(FigureChoice::from_index(i).map(|c| c.0.key), Some(f.key));
            assert_eq!(
                FigureChoice::from_name(f.key).map(|c| c.name()),
                Some(f.key)
            );
        }
        assert_eq!(FigureChoice::from_index(FIGURES.len()), None);
    }
}
