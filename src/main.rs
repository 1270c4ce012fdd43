//! The `proximity` command: the Discord bot (default) with the web dashboard, the dashboard
//! alone, imports, status and the demo.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use proximity::config::Config;
use proximity::import::{self, collect_files};
use proximity::metrics::MetricParams;
use proximity::scanner::STABLE_FOR;
use proximity::{demo, store};

#[derive(Parser)]
#[command(
    version,
    about = "ET:Legacy proximity analytics: round-file importer and Discord bot",
    after_help = proximity::config::variables_help()
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Discord bot (the default): watch the folder, import, post summaries, answer
    /// commands; and serve the web dashboard on WEB_BIND.
    Run,
    /// Serve only the web dashboard on WEB_BIND (no Discord, no imports).
    Web,
    /// Import round files or folders of them.
    Import {
        /// Files, or folders whose `*_engagements.txt` files are imported.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Accept files without the `# END` marker even if they changed in the last 10 s
        /// (files of other trackers that have not changed for 10 s are accepted anyway).
        #[arg(long)]
        complete: bool,
        /// The label of the game server the files come from (one of SERVERS; default: the
        /// only server, or `default`).
        #[arg(long)]
        server: Option<String>,
    },
    /// Print what the database holds and what the importer has seen.
    Status,
    /// Read again, from their files, the rounds whose figures come from an older version of
    /// this program (the bot does this by itself when it starts).
    Rederive,
    /// Check the configuration: the database, the folders, Discord's token, guild and channel.
    Check,
    /// List the maps in MAPS_DIR (and those the bot knows) and whether each has a command map
    /// for the heatmaps, or why not. Needs no database.
    Maps,
    /// Import the bundled sample rounds, write the images the bot would post, then serve the
    /// web dashboard on WEB_BIND and print its address (Ctrl-C stops).
    Demo {
        /// Where to write the images.
        #[arg(long, default_value = "demo-output")]
        out: PathBuf,
        /// Stop after writing the images instead of serving the dashboard.
        #[arg(long)]
        no_web: bool,
    },
    /// Write the bundled sample rounds (deterministic synthetic matches) into a folder.
    #[command(hide = true)]
    GenerateSamples {
        #[arg(default_value = "assets/samples")]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    // A missing .env is fine; a broken one is reported.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("error: .env: {e}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    init_logging(&config);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command.unwrap_or(Command::Run), config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            let unavailable = e.chain().any(|cause| {
                cause
                    .downcast_ref::<store::StoreError>()
                    .is_some_and(store::StoreError::is_unavailable)
            });
            if unavailable {
                ExitCode::from(EXIT_DATABASE_UNAVAILABLE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn init_logging(config: &Config) {
    let default = if config.debug_log {
        "proximity=debug,info"
    } else {
        "info"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colour codes only on a terminal: a log file or journal gets plain text.
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}

async fn dispatch(command: Command, config: Config) -> Result<ExitCode> {
    // A key file that cannot be used would otherwise surface only at the first pull, in a log.
    // Only the bot pulls over SFTP; `check` lists a bad key among its findings instead.
    if matches!(command, Command::Run) {
        config.check_key_files()?;
    }
    match command {
        Command::Run => {
            proximity::bot::run(config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Web => {
            let pool = connect(&config).await?;
            serve_web(&config, &pool).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            paths,
            complete,
            server,
        } => {
            let server = import_server(&config, server)?;
            import_files(&config, &paths, complete, &server).await
        }
        Command::Check => {
            let http = config
                .discord_token
                .as_deref()
                .map(poise::serenity_prelude::Http::new);
            let findings = proximity::check::run(&config, http.as_ref()).await;
            for f in &findings {
                println!("{f}");
            }
            let failed = findings
                .iter()
                .filter(|f| f.verdict == proximity::check::Verdict::Fail)
                .count();
            if failed == 0 {
                println!("everything checked is in order");
                Ok(ExitCode::SUCCESS)
            } else {
                println!("{failed} to fix");
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Status => {
            let pool = connect(&config).await?;
            for line in demo::status_lines(&pool).await? {
                println!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rederive => {
            let pool = connect(&config).await?;
            let mut out = std::io::stdout().lock();
            let (done, left) =
                import::rederive::rederive_all(&pool, &MetricParams::default(), |round, result| {
                    // A reader that stops early (`| head`) does not stop the work.
                    let _ = writeln!(out, "{}", result.describe(round));
                })
                .await?;
            println!("{done} rounds read again, {left} left as they were");
            Ok(if left == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Maps => {
            let dirs = config.maps_dirs.clone();
            let lines = tokio::task::spawn_blocking(move || {
                proximity::command_map::report_lines(
                    &dirs,
                    &proximity::command_map::Limits::default(),
                )
            })
            .await?;
            // Written line by line: a reader that stops early (`| head`) ends the listing
            // quietly instead of a broken-pipe panic.
            let mut out = std::io::stdout().lock();
            for line in lines {
                if writeln!(out, "{line}").is_err() {
                    break;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::GenerateSamples { out } => {
            std::fs::create_dir_all(&out)?;
            for (name, opts) in proximity::synth::sample_set() {
                let path = out.join(name);
                std::fs::write(
                    &path,
                    proximity::format::write(&proximity::synth::synth_round(&opts)),
                )?;
                println!("wrote {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { out, no_web } => {
            let pool = connect(&config).await?;
            demo::run(&pool, &demo::samples_dir(), &out).await?;
            if !no_web {
                serve_web(&config, &pool).await?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Serves the dashboard on `WEB_BIND` until Ctrl-C, after printing its address.
async fn serve_web(config: &Config, pool: &sqlx::PgPool) -> Result<()> {
    let command_maps = std::sync::Arc::new(proximity::command_map::CommandMaps::new(
        config.maps_dirs.clone(),
    ));
    let labels = config.servers.iter().map(|s| s.label.clone()).collect();
    let (addr, task) = proximity::web::start(
        config.web_bind,
        pool,
        config.include_bots,
        command_maps,
        labels,
    )
    .await?;
    println!();
    println!(
        "Web dashboard: {}  (Ctrl-C to stop)",
        proximity::web::display_url(addr)
    );
    tokio::select! {
        done = task => done??,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

async fn connect(config: &Config) -> Result<sqlx::PgPool> {
    store::connect(&config.database_url)
        .await
        .with_context(|| format!("connecting to {}", redact(&config.database_url)))
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => match url[scheme + 3..at].find(':') {
            Some(colon) => format!("{}:***{}", &url[..scheme + 3 + colon], &url[at..]),
            None => url.to_string(),
        },
        _ => url.to_string(),
    }
}

/// The exit code of a command that could not reach the database, or an import stopped because
/// the database went away (1 is any other failure, such as a file refused).
const EXIT_DATABASE_UNAVAILABLE: u8 = 3;

/// The server imported files belong to: the one named, which must be configured; without a
/// name, the only server there is.
fn import_server(config: &Config, named: Option<String>) -> Result<String> {
    let labels: Vec<&str> = config.servers.iter().map(|s| s.label.as_str()).collect();
    match (named, labels.as_slice()) {
        (Some(name), _) if labels.contains(&name.as_str()) => Ok(name),
        (Some(name), _) => anyhow::bail!(
            "--server {name}: no such server; the servers are {} (SERVERS in .env)",
            labels.join(", ")
        ),
        (None, [only]) => Ok(only.to_string()),
        (None, _) => anyhow::bail!(
            "several servers are configured ({}): say which one the files come from with \
             --server",
            labels.join(", ")
        ),
    }
}

async fn import_files(
    config: &Config,
    paths: &[PathBuf],
    complete: bool,
    server: &str,
) -> Result<ExitCode> {
    let files = collect_files(paths)?;
    let pool = connect(config).await?;
    let params = MetricParams::default();
    let bar = if files.len() > 1 {
        let bar = ProgressBar::new(files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    // Every outcome is printed, to a terminal above the bar and otherwise as plain lines (a
    // hidden bar prints nothing, and a log or a pipe must still get every reason).
    let say = |line: String| {
        if bar.is_hidden() {
            println!("{line}");
        } else {
            bar.println(line);
        }
    };
    let (mut imported, mut repeats, mut failed) = (0, 0, 0);
    let mut unavailable = None;
    for (done, f) in files.iter().enumerate() {
        bar.set_message(import::file_name_of(f));
        let settled = complete || has_stopped_growing(f);
        match import::import_path_from(&pool, server, f, settled, &params).await {
            Ok(report) => {
                match report.outcome {
                    import::ImportOutcome::Imported { .. }
                    | import::ImportOutcome::Replaced { .. } => imported += 1,
                    import::ImportOutcome::AlreadyImported { .. } => repeats += 1,
                }
                say(report.describe());
            }
            // The database went away: the files left would fail the same way, so stop; they
            // import on the next run.
            Err(e) if e.is_database_unavailable() => {
                unavailable = Some((e, files.len() - done));
                break;
            }
            Err(e) => {
                failed += 1;
                say(format!(
                    "error: {}",
                    proximity::error_text::storable(&e.to_string())
                ));
                if matches!(&e, import::ImportError::Parse { source, .. } if source.is_missing_end())
                {
                    say(format!(
                        "  (it changed less than {} s ago: if it is still being written, \
                         import it once it has stopped; `--complete` takes it as it is)",
                        STABLE_FOR.as_secs()
                    ));
                }
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!("{imported} imported, {repeats} already imported, {failed} failed");
    if let Some((e, left)) = unavailable {
        eprintln!("database unavailable: {e}; {left} files not imported, run the import again");
        return Ok(ExitCode::from(EXIT_DATABASE_UNAVAILABLE));
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Whether `path` has not changed for [`STABLE_FOR`], as the scanner decides that a file
/// without `# END` is finished; unknown times count as still changing.
fn has_stopped_growing(path: &std::path::Path) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age >= STABLE_FOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
    }
}
