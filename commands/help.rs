//! `/help [figure]`: what each command does and what each figure means.

use poise::CreateReply;

use super::choices::{Choice, FigureChoice};
use super::reply::EMBED_COLOUR;
use crate::bot::limits::{self, Embed};
use crate::bot::{Context, Error};
use crate::metrics::{Better, FIGURES, Figure};

/// What each command does, and what a figure means
#[poise::command(slash_command, ephemeral)]
pub async fn help(
    ctx: Context<'_>,
    #[description = "A figure to explain (default: every command)"] figure: Option<FigureChoice>,
) -> Result<(), Error> {
    let embed = match figure {
        Some(Choice(f)) => figure_help(f),
        None => commands_help(&ctx.framework().options().commands),
    };
    ctx.send(
        CreateReply::default()
            .embed(embed.colour(EMBED_COLOUR).build())
            .ephemeral(true),
    )
    .await?;
    Ok(())
}

/// Players' and admins' commands with their descriptions, and the figures' names.
pub fn commands_help<U, E>(commands: &[poise::Command<U, E>]) -> Embed {
    let line = |c: &poise::Command<U, E>| {
        format!(
            "`/{}` {}",
            c.name,
            c.description.as_deref().unwrap_or_default()
        )
    };
    let (admin, players): (Vec<_>, Vec<_>) = commands
        .iter()
        .partition(|c| !c.default_member_permissions.is_empty());
    let players: Vec<String> = players.into_iter().map(line).collect();
    let admin: Vec<String> = admin.into_iter().map(line).collect();
    let figures: Vec<&str> = FIGURES.iter().map(|f| f.key).collect();
    // The players' commands outgrew a field (1024 characters): they go in the description.
    let intro = "Names are optional where you have linked your account (/link). Map and days \
                 narrow any figure to one map or the last N days.\n\n**For everyone**";
    let room = limits::DESCRIPTION - intro.len() - 1;
    Embed::new()
        .title("Proximity: commands")
        .description(format!("{intro}\n{}", limits::lines_within(&players, room)))
        .field(
            "For admins",
            limits::lines_within(&admin, limits::FIELD_VALUE),
            false,
        )
        .field(
            "Figures (/help figure: …)",
            limits::fit(&figures.join(", "), limits::FIELD_VALUE),
            false,
        )
}

/// One figure: its meaning, direction, unit and how many samples rank a player.
pub fn figure_help(f: &Figure) -> Embed {
    Embed::new()
        .title(f.title)
        .description(f.meaning)
        .field(
            "Better",
            match f.better {
                Better::Higher => "higher",
                Better::Lower => "lower",
            },
            true,
        )
        .field(
            "Unit",
            if f.unit.is_empty() { "count" } else { f.unit },
            true,
        )
        .field(
            "Ranked from",
            format!("{} {}", f.min_samples, f.sample_label),
            true,
        )
}
