//! Command maps from a server's own folders, made here: `proximity maps` into a pipe, and
//! `/heatmap` drawn on the map's image through the fake Discord.

use std::io::{Cursor, Write};
use std::path::Path;
use std::time::Duration;

use fake_discord::ALICE;
use proximity::format::write;
use proximity::metrics::MetricParams;
use proximity::render::{COMMAND_MAP_DIM, HEATMAP_HEIGHT, HEATMAP_WIDTH};
use proximity::synth::{SynthOptions, synth_round};
use proximity_testkit::{BotHarness, BotOptions, TestDb};
use serde_json::{Value, json};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

use crate::cli::run_binary;

const T: Duration = Duration::from_secs(60);
/// supply's corners, as its worldspawn has them.
pub(crate) const SUPPLY: ((f64, f64), (f64, f64)) = ((-3200.0, 3200.0), (3200.0, -3200.0));
/// The test image's halves: north, south.
pub(crate) const NORTH: [u8; 3] = [60, 160, 70];
pub(crate) const SOUTH: [u8; 3] = [200, 180, 50];

/// An ET BSP (IBSP 47) whose worldspawn has the given corners, the entity lump last.
pub(crate) fn bsp(version: i32, (mins, maxs): ((f64, f64), (f64, f64))) -> Vec<u8> {
    let text = format!(
        "{{\n\"classname\" \"worldspawn\"\n\"mapcoordsmins\" \"{} {}\"\n\"mapcoordsmaxs\" \"{} {}\"\n}}\n\0",
        mins.0, mins.1, maxs.0, maxs.1
    );
    let offset = 160u32;
    let mut out = b"IBSP".to_vec();
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&offset.to_le_bytes());
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.resize(offset as usize, 0);
    out.extend_from_slice(text.as_bytes());
    out
}

/// A 24-bit uncompressed TGA stored bottom row first, as command maps usually are: the top
/// half `NORTH`, the bottom half `SOUTH`.
pub(crate) fn tga(side: u16) -> Vec<u8> {
    let mut out = vec![0u8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    out.extend_from_slice(&side.to_le_bytes());
    out.extend_from_slice(&side.to_le_bytes());
    out.extend_from_slice(&[24, 0]);
    for row in (0..side).rev() {
        let [r, g, b] = if row < side / 2 { NORTH } else { SOUTH };
        for _ in 0..side {
            out.extend_from_slice(&[b, g, r]);
        }
    }
    out
}

pub(crate) fn pk3(path: &Path, entries: &[(&str, &[u8])]) {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, options).expect("entry");
        zip.write_all(bytes).expect("bytes");
    }
    let bytes = zip.finish().expect("zip").into_inner();
    std::fs::create_dir_all(path.parent().expect("folder")).expect("folder");
    std::fs::write(path, bytes).expect("write pk3");
}

/// Rewrites the uncompressed size of the zip's last entry in its local and central headers.
fn lie_about_last_entry(zip: &mut [u8], name: &str, size: u32) {
    for (sig, size_at, name_at) in [(0x0403_4b50u32, 22, 30), (0x0201_4b50, 24, 46)] {
        let at = (0..zip.len() - name_at - name.len())
            .rev()
            .find(|&i| {
                zip[i..i + 4] == sig.to_le_bytes()
                    && &zip[i + name_at..i + name_at + name.len()] == name.as_bytes()
            })
            .expect("the entry's header");
        zip[at + size_at..at + size_at + 4].copy_from_slice(&size.to_le_bytes());
    }
}

#[tokio::test]
async fn maps_lists_every_map_with_its_image_or_the_reason_into_a_pipe() {
    let base = tempfile::tempdir().expect("temp dir");
    let (legacy, etmain) = (base.path().join("legacy"), base.path().join("etmain"));
    pk3(
        &etmain.join("supply.pk3"),
        &[
            ("maps/supply.bsp", &bsp(47, SUPPLY)),
            ("levelshots/supply_cc.tga", &tga(64)),
        ],
    );
    // A later copy of the image in the higher-priority folder wins.
    pk3(
        &legacy.join("z_supply_update.pk3"),
        &[("levelshots/supply_cc.tga", &tga(128))],
    );
    pk3(
        &etmain.join("sw_goldrush_te.pk3"),
        &[
            ("maps/sw_goldrush_te.bsp", &bsp(46, SUPPLY)),
            ("levelshots/sw_goldrush_te_cc.tga", &tga(16)),
        ],
    );
    // A zip bomb: the image declares 1,000 bytes and inflates to 4 MiB.
    let bomb = base.path().join("bomb.pk3");
    pk3(
        &bomb,
        &[
            ("maps/bomb.bsp", &bsp(47, SUPPLY)),
            ("levelshots/bomb_cc.tga", &vec![0u8; 4 << 20]),
        ],
    );
    let mut bytes = std::fs::read(&bomb).expect("bomb");
    lie_about_last_entry(&mut bytes, "levelshots/bomb_cc.tga", 1000);
    std::fs::write(etmain.join("bomb.pk3"), bytes).expect("write bomb");
    std::fs::write(etmain.join("broken.pk3"), b"not a zip at all").expect("write");

    let dirs = std::env::join_paths([&legacy, &etmain]).expect("join");
    let out = run_binary(
        &["maps"],
        &[
            ("MAPS_DIR", dirs.to_str().expect("utf-8")),
            ("RUST_LOG", "warn"),
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(!stdout.contains('\u{1b}'), "no colour codes into a pipe");
    let lines: Vec<&str> = stdout.lines().collect();
    let (l, e) = (legacy.display(), etmain.display());
    assert_eq!(lines[0], format!("MAPS_DIR: {l}, {e} (4 pk3s read)"));
    assert!(
        lines[1].starts_with(&format!("left out: {e}/broken.pk3: not a readable zip")),
        "{stdout}"
    );
    let line = |map: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("{map}: ")))
            .unwrap_or_else(|| panic!("{map} listed:\n{stdout}"))
            .to_string()
    };
    assert_eq!(
        line("supply"),
        format!("supply: command map: yes (128x128, from {l}/z_supply_update.pk3)")
    );
    assert_eq!(
        line("sw_goldrush_te"),
        format!(
            "sw_goldrush_te: command map: no: maps/sw_goldrush_te.bsp in {e}/sw_goldrush_te.pk3: \
             BSP version 46 (Quake 3), not 47 (ET)"
        )
    );
    let bomb = line("bomb");
    assert!(
        bomb.starts_with(&format!(
            "bomb: command map: no: levelshots/bomb_cc.tga in {e}/bomb.pk3: "
        )) && bomb.contains("declare"),
        "{bomb}"
    );
    assert_eq!(
        line("adlernest"),
        "adlernest: command map: no: no maps/adlernest.bsp in MAPS_DIR"
    );
    let known = proximity::maps::map_names().count();
    assert_eq!(
        lines.last().copied(),
        Some(format!("1 of {} maps have a command map", known + 1).as_str())
    );

    // Without MAPS_DIR: every known map, and why none has one.
    let out = run_binary(&["maps"], &[("MAPS_DIR", "")]).await;
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("MAPS_DIR is not set"), "{stdout}");
    assert!(stdout.contains("supply: command map: no: MAPS_DIR is not set"));
}

/// The heatmap PNG's pixels inside the 600 × 600 map area.
fn map_area(png_bytes: &[u8]) -> Vec<(u32, u32, [u8; 3])> {
    let decoder = png::Decoder::new(Cursor::new(png_bytes.to_vec()));
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    assert_eq!((info.width, info.height), (HEATMAP_WIDTH, HEATMAP_HEIGHT));
    let mut out = Vec::new();
    for y in 86..686 {
        for x in 20..620 {
            let i = ((y * info.width + x) * 3) as usize;
            out.push((x, y, [buf[i], buf[i + 1], buf[i + 2]]));
        }
    }
    out
}

fn dimmed(c: [u8; 3]) -> [u8; 3] {
    c.map(|v| (f32::from(v) * COMMAND_MAP_DIM).round() as u8)
}

#[tokio::test]
async fn heatmap_is_drawn_on_the_servers_command_map() {
    let db = TestDb::new().await;
    let round = synth_round(&SynthOptions::new("supply", 1, 12, 300, 5));
    proximity::import::import_bytes(
        &db.pool,
        "2026-01-10-190000-supply-round-1_engagements.txt",
        write(&round),
        false,
        &MetricParams::default(),
    )
    .await
    .expect("import");
    let maps = tempfile::tempdir().expect("temp dir");
    pk3(
        &maps.path().join("supply.pk3"),
        &[
            ("maps/supply.bsp", &bsp(47, SUPPLY)),
            ("levelshots/supply_cc.tga", &tga(256)),
        ],
    );
    let bot = BotHarness::start(BotOptions {
        db: Some(db),
        maps_dir: Some(maps.path().display().to_string()),
        ..BotOptions::default()
    })
    .await;
    let reply = bot
        .fake
        .invoke(ALICE, "heatmap", json!({"map": "supply"}))
        .reply(T)
        .await;
    let png = reply.file("heatmap.png").expect("heatmap.png attached");
    if let Some(dir) = std::env::var_os("PROXIMITY_RENDER_OUT") {
        std::fs::write(
            Path::new(&dir).join("it_heatmap_command_map.png"),
            &png.bytes,
        )
        .expect("save");
    }
    let pixels = map_area(&png.bytes);
    // The square image fills the square map area: the north half in its colour, dimmed, above
    // the south half in its own (where no heat covers it).
    let (north, south) = (dimmed(NORTH), dimmed(SOUTH));
    let rows = |colour: [u8; 3]| -> Vec<u32> {
        pixels
            .iter()
            .filter(|(_, _, c)| *c == colour)
            .map(|&(_, y, _)| y)
            .collect()
    };
    let (n, s) = (rows(north), rows(south));
    let area = pixels.len();
    assert!(
        n.len() > area / 5 && s.len() > area / 5,
        "{} {} of {area}",
        n.len(),
        s.len()
    );
    assert!(n.iter().all(|&y| y < 386) && s.iter().all(|&y| y >= 386));
    bot.finish().await;
}

/// The dashboard draws on the same command map: the map's frame is the worldspawn's corners
/// with the image's address, and the image served there is the map's, north up; a map without
/// one keeps the frame the binary knows and no image.
#[tokio::test]
async fn the_dashboard_serves_the_command_map_under_its_frame() {
    let db = TestDb::new().await;
    let maps = tempfile::tempdir().expect("temp dir");
    let corners = ((-3000.0, 2800.0), (3400.0, -3600.0));
    pk3(
        &maps.path().join("supply.pk3"),
        &[
            ("maps/supply.bsp", &bsp(47, corners)),
            ("levelshots/supply_cc.tga", &tga(64)),
        ],
    );
    let command_maps = std::sync::Arc::new(proximity::command_map::CommandMaps::new(vec![
        maps.path().to_path_buf(),
    ]));
    let web = super::web::Web::start_with_maps(
        &db.pool,
        proximity::web::guard::RequestLimit::default(),
        command_maps,
    )
    .await;
    let supply = super::web::get(&format!("{}/api/v1/maps/supply", web.base))
        .await
        .json();
    assert_eq!(
        supply["frame"],
        json!({"mins": [-3000.0, 2800.0], "maxs": [3400.0, -3600.0],
               "image_url": "/api/v1/maps/supply/command-map.png"})
    );
    let image = super::web::get(&format!("{}/api/v1/maps/supply/command-map.png", web.base)).await;
    assert_eq!(image.status, 200);
    assert_eq!(image.headers["content-type"], "image/png");
    let decoded = image::load_from_memory(&image.body)
        .expect("a PNG")
        .to_rgb8();
    assert_eq!(decoded.dimensions(), (64, 64));
    assert_eq!(decoded.get_pixel(10, 5).0, NORTH);
    assert_eq!(decoded.get_pixel(10, 60).0, SOUTH);

    let goldrush = super::web::get(&format!("{}/api/v1/maps/sw_goldrush_te", web.base))
        .await
        .json();
    assert_eq!(goldrush["frame"]["image_url"], Value::Null);
    let none = super::web::get(&format!(
        "{}/api/v1/maps/sw_goldrush_te/command-map.png",
        web.base
    ))
    .await;
    assert_eq!(none.status, 404);
    db.drop_db().await;
}
