//! The fixed choices of command options: heatmap kinds, the figures a leaderboard ranks
//! (every entry of [`FIGURES`], in its order) and the objective board's columns (every entry
//! of [`OBJECTIVE_TALLIES`]).

use std::borrow::Cow;

use crate::heat::HeatKind;
use crate::metrics::{FIGURES, Figure, OBJECTIVE_TALLIES, ObjectiveTally};

/// What a heatmap shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poise::ChoiceParameter)]
pub enum HeatKindChoice {
    #[name = "kills"]
    Kills,
    #[name = "deaths"]
    Deaths,
    #[name = "movement"]
    Movement,
    #[name = "objectives"]
    Objectives,
}

impl From<HeatKindChoice> for HeatKind {
    fn from(c: HeatKindChoice) -> Self {
        match c {
            HeatKindChoice::Kills => HeatKind::Kills,
            HeatKindChoice::Deaths => HeatKind::Deaths,
            HeatKindChoice::Movement => HeatKind::Movement,
            HeatKindChoice::Objectives => HeatKind::Objectives,
        }
    }
}

/// A list of options whose entries are data, not an enum: Discord shows their keys and sends
/// back the chosen one's place in the list.
pub trait Listed: Sized + 'static {
    fn all() -> &'static [Self];
    fn key(&self) -> &'static str;
}

impl Listed for Figure {
    fn all() -> &'static [Self] {
        FIGURES
    }
    fn key(&self) -> &'static str {
        self.key
    }
}

impl Listed for ObjectiveTally {
    fn all() -> &'static [Self] {
        OBJECTIVE_TALLIES
    }
    fn key(&self) -> &'static str {
        self.key
    }
}

/// An entry of a [`Listed`] list as a command option. Written by hand because poise derives
/// choices from enums only.
#[derive(Debug, PartialEq)]
pub struct Choice<T: 'static>(pub &'static T);

impl<T> Clone for Choice<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Choice<T> {}

/// A figure of [`FIGURES`] as a command option.
pub type FigureChoice = Choice<Figure>;
/// A column of the objective board as a command option.
pub type TallyChoice = Choice<ObjectiveTally>;

impl<T: Listed + Send + Sync> poise::ChoiceParameter for Choice<T> {
    fn list() -> Cow<'static, [poise::CommandParameterChoice]> {
        T::all()
            .iter()
            .map(|f| poise::CommandParameterChoice {
                name: f.key().into(),
                localizations: Default::default(),
                // What the derive macro fills in; the struct has no constructor.
                __non_exhaustive: (),
            })
            .collect()
    }

    fn from_index(index: usize) -> Option<Self> {
        T::all().get(index).map(Choice)
    }

    fn from_name(name: &str) -> Option<Self> {
        T::all().iter().find(|f| f.key() == name).map(Choice)
    }

    fn name(&self) -> &'static str {
        self.0.key()
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

    #[test]
    fn every_objective_tally_is_a_choice_sent_back_as_its_place() {
        let list = TallyChoice::list();
        let keys: Vec<&str> = list.iter().map(|c| &*c.name).collect();
        assert_eq!(
            keys,
            OBJECTIVE_TALLIES.iter().map(|t| t.key).collect::<Vec<_>>()
        );
        assert!(keys.len() <= 25, "Discord shows at most 25 choices");
        assert_eq!(
            TallyChoice::from_index(1).map(|c| c.0.column),
            Some("defuses")
        );
        assert_eq!(
            TallyChoice::from_name("carry time").map(|c| c.0.column),
            Some("carry_time_ms")
        );
        assert_eq!(TallyChoice::from_index(OBJECTIVE_TALLIES.len()), None);
    }
}
