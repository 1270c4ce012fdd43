//! What a heatmap counts and the grids its cells are binned on: shared by the importer that
//! bins a round's cells, the store that sums them and the renderer that draws them.

/// What a heatmap counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeatKind {
    /// Victims' death positions; `team` is the killer's team.
    Kills,
    /// A player's (or everyone's) death positions; `team` is the victim's team.
    Deaths,
    /// Movement samples; teams are ignored.
    Movement,
    /// Objective actions and the kills that cleared the way for objective runs; `team` is the
    /// actor's (the run's) team.
    Objectives,
}

/// Fine grid (units) the kill and death positions are binned on before smoothing: finer than
/// the heatmap's kernel (about 120 units wide on a typical map), so binning does not show.
pub const KILL_BIN: f64 = 64.0;

/// Grid (units) of the presence cells that movement heatmaps are smoothed from.
pub const PRESENCE_CELL: f64 = 128.0;

/// A cell of the heatmap totals (`heat_totals`): its position, then for deaths (on the
/// [`KILL_BIN`] grid) the killer's team (0 when unknown) and the victim's; presence cells have
/// teams 0, 0.
pub type HeatCell = (i32, i32, i16, i16);
