//! Tracker CPU time per server frame (`et_RunFrame` plus that frame's events) in a simulated
//! 15-minute round, at 24 and 64 players: mean, p99, worst frame, the frames that end the round
//! and write the file, and the file size. Goal: mean ≤ 250 µs and p99 ≤ 1 ms at 64 players,
//! worst ≤ 50 ms.
//!
//! The time includes the simulated engine's side of every `et.*` call the tracker makes (field
//! reads, file writes), as on a real server. The match fires every weapon at its real rate, so
//! `et_WeaponFire` is part of the load, and plays the objective game (constructibles polled, flag
//! carriers sampled every frame, a tank whose nearby players are looked at every frame). `PROXIMITY_TRACKER=<file>` runs another tracker file on
//! the same match (compare a change with the previous version, alternating runs).

use et_server_sim::matchgen::{MatchConfig, play};
use et_server_sim::sim::EngineVersion;

fn us(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects player counts ("24", "64").
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    println!("tracker CPU time per server frame (sv_fps 20, 15-minute round, seed 1)");
    for players in [24usize, 64] {
        if !filter.is_empty() && !filter.iter().any(|f| f == &players.to_string()) {
            continue;
        }
        let s = play(MatchConfig {
            players: players - 1, // plus one spectator
            seconds: 15 * 60,
            seed: 1,
            version: EngineVersion::V2_85,
            measure: true,
        });
        assert!(s.lua_errors.is_empty(), "{:?}", s.lua_errors);
        let frames = &s.frame_ns;
        let mut sorted = frames.clone();
        sorted.sort_unstable();
        let mean = frames.iter().sum::<u64>() as f64 / frames.len() as f64;
        let p99 = sorted[(sorted.len() * 99) / 100];
        let p50 = sorted[sorted.len() / 2];
        let (worst_i, worst) = frames
            .iter()
            .enumerate()
            .max_by_key(|(_, ns)| **ns)
            .map(|(i, ns)| (i, *ns))
            .unwrap();
        let end = s.round_end_frame.expect("round end seen");
        let writer_frames = &frames[end..];
        let writer_max = writer_frames.iter().max().copied().unwrap_or(0);
        let rename = s.rename_frames.first().copied().expect("file renamed");
        let files = s.round_files();
        let size = files.first().map(|f| f.1.len()).unwrap_or(0);
        println!("{players} players ({} frames):", frames.len());
        println!(
            "  mean {:.1} µs   p50 {:.1} µs   p99 {:.1} µs   worst {:.1} µs (frame {worst_i} of {})",
            mean / 1000.0,
            us(p50),
            us(p99),
            us(worst),
            frames.len()
        );
        println!(
            "  round-end frame {:.1} µs   file-writing frames: {} (max {:.1} µs, rename frame {:.1} µs)",
            us(frames[end]),
            rename + 1 - end,
            us(writer_max),
            us(frames[rename])
        );
        println!(
            "  file {} bytes ({:.2} MB) for 15 minutes",
            size,
            size as f64 / 1e6
        );
    }
}
