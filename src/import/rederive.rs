//! Reading rounds again from their files when their figures come from an older importer
//! (`rounds.figures_version` below [`FIGURES_VERSION`]), so that a figure added later counts
//! for the rounds stored before it too. Each round is read from the file the import log names
//! for it, through the ordinary import: the identity rule (`identity`) replaces the stored
//! round with the same round derived again, in one transaction, keeping its server's label.

use std::path::{Path, PathBuf};

use sqlx::PgPool;

use super::{FIGURES_VERSION, ImportError, ImportOutcome, ImportReport, Replacement};
use crate::metrics::MetricParams;
use crate::store::StoreError;
use crate::store::queries::{self, StaleRound};

/// What reading one stale round again did.
#[derive(Debug)]
pub enum Rederived {
    /// The round was derived again.
    Done(ImportReport),
    /// The import log names no file for the round (it was stored by `import_bytes`).
    NoFile,
    /// The file is no longer where it was imported from.
    FileGone(PathBuf),
    /// The file now holds another round, or an import of it stored the round meanwhile.
    NotTheRound(ImportReport),
    /// The file could not be imported (read, parsed or stored).
    Failed(ImportError),
}

impl Rederived {
    /// One line for the command line and the log.
    pub fn describe(&self, round: &StaleRound) -> String {
        let id = round.round_id;
        match self {
            Rederived::Done(report) => report.describe(),
            Rederived::NoFile => format!(
                "round #{id} ({}): no file is known for it; import its file again",
                round.file_name
            ),
            Rederived::FileGone(path) => format!(
                "round #{id}: {} is gone; import a copy of it to bring its figures up to date",
                path.display()
            ),
            Rederived::NotTheRound(report) => format!(
                "round #{id}: {} no longer holds this round ({})",
                report.file_name,
                report.describe()
            ),
            Rederived::Failed(e) => format!("round #{id}: {e}"),
        }
    }

    pub fn is_done(&self) -> bool {
        matches!(self, Rederived::Done(_))
    }
}

/// The rounds whose figures are older than this importer's.
pub async fn stale_rounds(pool: &PgPool) -> Result<Vec<StaleRound>, StoreError> {
    queries::stale_rounds(pool, FIGURES_VERSION).await
}

/// Reads every stale round again from its file, telling `each` what happened to each; answers
/// how many were derived again and how many were not. Stops at a database outage.
pub async fn rederive_all(
    pool: &PgPool,
    params: &MetricParams,
    mut each: impl FnMut(&StaleRound, &Rederived),
) -> Result<(usize, usize), StoreError> {
    let (mut done, mut left) = (0, 0);
    for round in stale_rounds(pool).await? {
        let result = rederive(pool, params, &round).await;
        each(&round, &result);
        if let Rederived::Failed(e) = &result
            && e.is_database_unavailable()
        {
            return Err(StoreError::Unavailable(e.to_string()));
        }
        if result.is_done() {
            done += 1;
        } else {
            left += 1;
        }
    }
    Ok((done, left))
}

/// Reads one stale round again from its file.
pub async fn rederive(pool: &PgPool, params: &MetricParams, round: &StaleRound) -> Rederived {
    let Some(path) = round.path.as_deref().map(Path::new) else {
        return Rederived::NoFile;
    };
    if !tokio::fs::try_exists(path).await.unwrap_or(false) {
        return Rederived::FileGone(path.to_path_buf());
    }
    // The file was accepted as a finished round when it was first imported.
    match super::import_path_from(pool, &round.server, path, true, params).await {
        Ok(report) => match report.outcome {
            ImportOutcome::Replaced {
                previous,
                why: Replacement::ReadAgain,
                ..
            } if previous == round.round_id => Rederived::Done(report),
            _ => Rederived::NotTheRound(report),
        },
        Err(e) => Rederived::Failed(e),
    }
}
