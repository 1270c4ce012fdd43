//! The Discord side: poise framework, shared data, post-round summaries.

use crate::config::Config;

/// Runs the bot until Ctrl-C.
pub async fn run(_config: Config) -> anyhow::Result<()> {
    anyhow::bail!("the Discord bot is being wired up")
}
