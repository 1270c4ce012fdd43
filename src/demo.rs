//! `proximity demo`: imports the bundled sample rounds, prints the status and writes the images
//! the bot would post — no Discord needed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sqlx::PgPool;

use crate::heat::HeatKind;
use crate::import::{self, collect_files};
use crate::metrics::MetricParams;
use crate::metrics::{Card, Figure};
use crate::present;
use crate::render;
use crate::store::import_log;
use crate::store::queries::{self, Scope};

/// The bundled samples: `assets/samples` under the working directory, else the crate's.
pub fn samples_dir() -> PathBuf {
    let local = PathBuf::from("assets/samples");
    if local.is_dir() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples")
    }
}

/// Runs the demo against `pool`, writing images into `out`. Returns the files written.
pub async fn run(pool: &PgPool, samples: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let files = collect_files(&[samples.to_path_buf()])
        .with_context(|| format!("reading the samples in {}", samples.display()))?;
    println!(
        "Importing {} sample rounds from {}",
        files.len(),
        samples.display()
    );
    let params = MetricParams::default();
    for f in &files {
        let report = import::import_path(pool, f, false, &params).await?;
        println!(
            "  {} ({} ms)",
            report.describe(),
            report.elapsed.as_millis()
        );
    }

    println!();
    for line in status_lines(pool).await? {
        println!("{line}");
    }

    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut written = Vec::new();
    let mut save = |name: &str, png: Vec<u8>| -> Result<()> {
        let path = out.join(name);
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
        Ok(())
    };

    let latest: Option<i64> = sqlx::query_scalar("SELECT max(id) FROM rounds")
        .fetch_one(pool)
        .await?;
    if let Some(id) = latest
        && let Some(summary) = queries::round_post(pool, id, false).await?
    {
        save(
            "round_summary.png",
            render::render_round_card(&present::round_card(&summary))?,
        )?;
    }
    if let Some((map, _)) = queries::maps(pool).await?.into_iter().next() {
        let scope = Scope {
            map: Some(map.clone()),
            ..Scope::all()
        };
        let (points, rounds) = queries::heatmap(pool, HeatKind::Kills, &scope, None).await?;
        let input = present::heatmap_input(&map, HeatKind::Kills, &points, rounds, None, None);
        save("heatmap_kills.png", render::render_heatmap(&input)?)?;
        let (points, rounds) = queries::heatmap(pool, HeatKind::Movement, &scope, None).await?;
        let input = present::heatmap_input(&map, HeatKind::Movement, &points, rounds, None, None);
        save("heatmap_movement.png", render::render_heatmap(&input)?)?;
    }
    let scope = Scope::all();
    let figure = Figure::by_key("crossfire kills").context("the crossfire kills figure")?;
    let rows = queries::leaderboard(pool, figure, &scope, 10).await?;
    save(
        "leaderboard_crossfire_kills.png",
        render::render_leaderboard(&present::leaderboard_input(figure, &rows, &scope))?,
    )?;
    let min = MetricParams::default().best_duo_min_crossfires;
    let duos = queries::best_duos(pool, &scope, min, 10).await?;
    save(
        "best_duos.png",
        render::render_duos(&present::duos_input(&duos, &scope, min))?,
    )?;
    if let Some(top) = rows.first()
        && let Some(card) = queries::player_card(pool, Card::Player, &top.guid, &scope).await?
    {
        save(
            "player_card.png",
            render::render_player_card(&present::player_card(&top.name, &card, &scope))?,
        )?;
    }

    println!();
    println!("Images the bot would post, written to {}:", out.display());
    for p in &written {
        println!("  {}", p.display());
    }
    Ok(written)
}

/// The database side of the status, as lines of text (CLI `status` and the demo).
pub async fn status_lines(pool: &PgPool) -> Result<Vec<String>> {
    let db = queries::db_counts(pool).await?;
    let log = import_log::import_counts(pool).await?;
    let mut lines = vec![
        format!(
            "Database: {} rounds, {} engagements, {} lives, {} players",
            db.rounds, db.engagements, db.lives, db.players
        ),
        format!(
            "Files: {} seen, {} imported, {} duplicates, {} failed, {} quarantined",
            log.seen, log.imported, log.duplicate, log.failed, log.quarantined
        ),
    ];
    for v in queries::tracker_versions(pool).await? {
        lines.push(format!(
            "Tracker {} {}: {} rounds",
            v.banner,
            v.tracker_version.as_deref().unwrap_or("(no version)"),
            v.rounds
        ));
    }
    for e in import_log::last_errors(pool, 5).await? {
        lines.push(format!(
            "Error ({}, {} attempts): {}",
            e.status,
            e.attempts,
            e.error.as_deref().unwrap_or("?")
        ));
    }
    Ok(lines)
}
