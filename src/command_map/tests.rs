//! Finding and reading command maps from pk3s, BSPs and images made here.

use std::path::{Path, PathBuf};

use super::bsp::{test_bsp, test_entities};
use super::testfiles::{
    QUADRANTS, declare_size, encode, pk3, pk3_bytes, quadrants, tga_header, write,
};
use super::*;

const MINS: (f64, f64) = (-2048.0, 2048.0);
const MAXS: (f64, f64) = (4096.0, -4096.0);

fn bsp() -> Vec<u8> {
    test_bsp(&test_entities(MINS, MAXS))
}

fn load_from(dirs: &[PathBuf], map: &str) -> Result<CommandMap, CommandMapError> {
    load(&mut Vfs::new(dirs), map, &Limits::default())
}

fn one(dir: &Path) -> Vec<PathBuf> {
    vec![dir.to_path_buf()]
}

#[test]
fn a_map_pk3_gives_its_corners_and_image() {
    let dir = tempfile::tempdir().unwrap();
    let img = quadrants(64, 32);
    let path = dir.path().join("adlernest.pk3");
    pk3(
        &path,
        &[
            ("maps/adlernest.bsp", &bsp()),
            ("levelshots/adlernest_cc.tga", &encode(&img, "tga")),
            ("levelshots/adlernest.tga", &encode(&quadrants(8, 8), "tga")),
        ],
    );
    let cm = load_from(&one(dir.path()), "Adlernest").unwrap();
    assert_eq!(
        (cm.map.as_str(), cm.mins, cm.maxs),
        ("adlernest", MINS, MAXS)
    );
    assert_eq!(cm.image, img);
    assert_eq!(cm.file_size, (64, 32));
    assert_eq!(cm.from, path);
    assert_eq!(
        cm.image_file,
        format!("levelshots/adlernest_cc.tga in {}", path.display())
    );
}

#[test]
fn world_points_land_where_the_game_draws_them() {
    // The reference's check: adlernest (1024, −1024) on a 256² image is pixel (128, 128).
    let cm = CommandMap::new(
        "adlernest",
        MapCoords {
            mins: MINS,
            maxs: MAXS,
        },
        quadrants(256, 256),
    );
    assert_eq!(cm.world_to_pixel(1024.0, -1024.0), (128.0, 128.0));
    assert_eq!(cm.world_to_pixel(-2048.0, 2048.0), (0.0, 0.0));
    assert_eq!(cm.world_to_pixel(4096.0, -4096.0), (256.0, 256.0));
    // North up: greater y is higher on the image; the axes scale apart on a wide image.
    let wide = CommandMap::new(
        "w",
        MapCoords {
            mins: (0.0, 1000.0),
            maxs: (1000.0, 0.0),
        },
        quadrants(200, 100),
    );
    assert_eq!(wide.world_to_pixel(250.0, 900.0), (50.0, 10.0));
}

#[test]
fn corners_written_the_other_way_round_mirror_the_image_back() {
    // mins = (max x, min y): the image shows the world turned by 180°.
    let img = quadrants(4, 4);
    let cm = CommandMap::new(
        "m",
        MapCoords {
            mins: (100.0, -100.0),
            maxs: (-100.0, 100.0),
        },
        img.clone(),
    );
    assert_eq!((cm.mins, cm.maxs), ((-100.0, 100.0), (100.0, -100.0)));
    // The game puts world (90, −90) on the original image's top-left quadrant; it still lands
    // on that quadrant's colour.
    let game_u = (90.0 - 100.0) / (-100.0 - 100.0);
    let game_v = (-90.0 - -100.0) / (100.0 - -100.0);
    let original = img.get_pixel((game_u * 4.0) as u32, (game_v * 4.0) as u32);
    let (px, py) = cm.world_to_pixel(90.0, -90.0);
    assert_eq!(cm.image.get_pixel(px as u32, py as u32), original);
    assert_eq!(&original.0[..3], &QUADRANTS[0]);
}

#[test]
fn the_shader_names_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let script = b"levelshots/goldrush_cc_trans\n{\n\tnopicmip\n\t{\n\t\tclampmap levelshots/goldrush_tracemap.tga\n\t}\n}\n";
    pk3(
        &dir.path().join("goldrush.pk3"),
        &[
            ("maps/goldrush.bsp", &bsp()),
            ("scripts/goldrush.shader", script),
            (
                "levelshots/goldrush_cc.tga",
                &encode(&quadrants(8, 8), "tga"),
            ),
            // The shader's image, as a jpg: found by the extension search.
            (
                "levelshots/goldrush_tracemap.jpg",
                &encode(&quadrants(32, 16), "jpg"),
            ),
        ],
    );
    let cm = load_from(&one(dir.path()), "goldrush").unwrap();
    assert_eq!(cm.file_size, (32, 16));
    assert!(
        cm.image_file
            .starts_with("levelshots/goldrush_tracemap.jpg in ")
    );
    let located = locate(
        &mut Vfs::new(&one(dir.path())),
        "goldrush",
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(
        located.script.map(|s| s.name),
        Some("scripts/goldrush.shader".to_string())
    );
}

#[test]
fn automap_then_implicit_images_then_the_plain_cc() {
    let dir = tempfile::tempdir().unwrap();
    let root = one(dir.path());
    // A _cc_trans shader without an image stage is passed over for _cc_automap's.
    let script = b"levelshots/m_cc_trans { { map $whiteimage } }\nlevelshots/m_cc_automap { { map levelshots/m_auto.tga } }\n";
    pk3(
        &dir.path().join("m.pk3"),
        &[
            ("maps/m.bsp", &bsp()),
            ("scripts/m.shader", script),
            ("levelshots/m_auto.tga", &encode(&quadrants(10, 10), "tga")),
            ("levelshots/m_cc.tga", &encode(&quadrants(12, 12), "tga")),
        ],
    );
    assert_eq!(load_from(&root, "m").unwrap().file_size, (10, 10));
    // Without scripts: an image named like the shader is its implicit image.
    pk3(
        &dir.path().join("n.pk3"),
        &[
            ("maps/n.bsp", &bsp()),
            (
                "levelshots/n_cc_trans.png",
                &encode(&quadrants(14, 14), "png"),
            ),
            ("levelshots/n_cc.tga", &encode(&quadrants(12, 12), "tga")),
        ],
    );
    assert_eq!(load_from(&root, "n").unwrap().file_size, (14, 14));
    // Otherwise levelshots/<map>_cc; never the loading screenshot levelshots/<map>.
    pk3(
        &dir.path().join("o.pk3"),
        &[
            ("maps/o.bsp", &bsp()),
            ("levelshots/o.tga", &encode(&quadrants(16, 16), "tga")),
        ],
    );
    let e = load_from(&root, "o").unwrap_err();
    assert_eq!(
        e.to_string(),
        "no command map image: no shader or image levelshots/o_cc_trans or levelshots/o_cc_automap, \
         and no image levelshots/o_cc (.png, .tga, .jpg, .jpeg, .pcx, .bmp) in MAPS_DIR"
    );
}

#[test]
fn extensions_are_tried_in_order_across_every_pk3() {
    let dir = tempfile::tempdir().unwrap();
    // z.pk3 is searched first, but a .png anywhere beats its .tga; a .tga beats a .jpg.
    pk3(
        &dir.path().join("z.pk3"),
        &[
            ("maps/e.bsp", &bsp()),
            ("levelshots/e_cc.tga", &encode(&quadrants(20, 20), "tga")),
            ("levelshots/f_cc.jpg", &encode(&quadrants(24, 24), "jpg")),
        ],
    );
    pk3(
        &dir.path().join("a.pk3"),
        &[
            ("maps/f.bsp", &bsp()),
            ("levelshots/e_cc.png", &encode(&quadrants(22, 22), "png")),
            ("levelshots/f_cc.tga", &encode(&quadrants(26, 26), "tga")),
        ],
    );
    let root = one(dir.path());
    assert_eq!(load_from(&root, "e").unwrap().file_size, (22, 22));
    assert_eq!(load_from(&root, "f").unwrap().file_size, (26, 26));
}

#[test]
fn a_later_pk3_overrides_and_a_loose_file_beats_every_pk3() {
    let dir = tempfile::tempdir().unwrap();
    let root = one(dir.path());
    pk3(
        &dir.path().join("supply.pk3"),
        &[
            ("maps/supply.bsp", &bsp()),
            ("levelshots/supply_cc.tga", &encode(&quadrants(8, 8), "tga")),
        ],
    );
    // supply_v2.pk3 sorts after supply.pk3 ('_' after '.'), so its files win.
    let v2 = test_bsp(&test_entities((-100.0, 100.0), (100.0, -100.0)));
    pk3(
        &dir.path().join("supply_v2.pk3"),
        &[
            ("maps/supply.bsp", &v2),
            (
                "levelshots/supply_cc.tga",
                &encode(&quadrants(16, 16), "tga"),
            ),
        ],
    );
    let cm = load_from(&root, "supply").unwrap();
    assert_eq!((cm.mins, cm.file_size), ((-100.0, 100.0), (16, 16)));
    assert_eq!(cm.from, dir.path().join("supply_v2.pk3"));
    // A loose image beats both.
    write(
        &dir.path().join("levelshots/supply_cc.tga"),
        &encode(&quadrants(18, 18), "tga"),
    );
    let cm = load_from(&root, "supply").unwrap();
    assert_eq!(cm.file_size, (18, 18));
    assert_eq!(cm.from, dir.path().join("levelshots/supply_cc.tga"));
    // The first folder given beats the next one's pk3s.
    let legacy = tempfile::tempdir().unwrap();
    pk3(
        &legacy.path().join("a.pk3"),
        &[(
            "maps/supply.bsp",
            &test_bsp(&test_entities((-1.0, 1.0), (1.0, -1.0))),
        )],
    );
    let cm = load_from(
        &[legacy.path().to_path_buf(), dir.path().to_path_buf()],
        "supply",
    )
    .unwrap();
    assert_eq!(cm.mins, (-1.0, 1.0));
}

#[test]
fn big_images_are_kept_scaled_down() {
    let dir = tempfile::tempdir().unwrap();
    pk3(
        &dir.path().join("big.pk3"),
        &[
            ("maps/big.bsp", &bsp()),
            (
                "levelshots/big_cc.png",
                &encode(&quadrants(400, 200), "png"),
            ),
        ],
    );
    let limits = Limits {
        max_kept_side: 100,
        ..Limits::default()
    };
    let cm = load(&mut Vfs::new(&one(dir.path())), "big", &limits).unwrap();
    assert_eq!(
        (cm.file_size, cm.image.dimensions()),
        ((400, 200), (100, 50))
    );
    assert_eq!(&cm.image.get_pixel(10, 10).0[..3], &QUADRANTS[0]);
}

/// Loads map `m` from a pk3 holding `entries`, with small limits.
fn failure(entries: &[(&str, &[u8])]) -> String {
    failure_of(pk3_bytes(entries))
}

fn failure_of(pk3_bytes: Vec<u8>) -> String {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("m.pk3"), &pk3_bytes);
    let limits = Limits {
        max_file_bytes: 1 << 20,
        max_bsp_bytes: 1 << 20,
        max_image_side: 1024,
        ..Limits::default()
    };
    let e = load(&mut Vfs::new(&one(dir.path())), "m", &limits).unwrap_err();
    e.to_string()
        .replace(&dir.path().display().to_string(), "DIR")
}

#[test]
fn each_bad_input_is_a_named_reason() {
    let tga = encode(&quadrants(8, 8), "tga");
    let with_bsp = |bsp: &[u8]| failure(&[("maps/m.bsp", bsp), ("levelshots/m_cc.tga", &tga)]);

    let mut v46 = bsp();
    v46[4..8].copy_from_slice(&46i32.to_le_bytes());
    assert_eq!(
        with_bsp(&v46),
        "maps/m.bsp in DIR/m.pk3: BSP version 46 (Quake 3), not 47 (ET)"
    );

    let mut outside = bsp();
    outside[8..12].copy_from_slice(&100_000i32.to_le_bytes());
    let len = outside.len();
    let e = with_bsp(&outside);
    assert!(
        e.starts_with("maps/m.bsp in DIR/m.pk3: lump 0 (entities) at bytes 100000..")
            && e.ends_with(&format!("is outside the {len}-byte file")),
        "{e}"
    );

    let no_world = test_bsp("{\n\"classname\" \"light\"\n}\n");
    assert_eq!(
        with_bsp(&no_world),
        "maps/m.bsp in DIR/m.pk3: the first entity is `light`, not worldspawn"
    );
    let no_coords = test_bsp("{\n\"classname\" \"worldspawn\"\n\"mapcoordsmaxs\" \"1 0\"\n}\n");
    assert_eq!(
        with_bsp(&no_coords),
        "maps/m.bsp in DIR/m.pk3: worldspawn has no `mapcoordsmins`"
    );

    let huge = tga_header(20000, 20000, 32, 0x28);
    assert_eq!(
        failure(&[("maps/m.bsp", &bsp()), ("levelshots/m_cc.tga", &huge)]),
        "levelshots/m_cc.tga in DIR/m.pk3: 20000x20000 pixels, over the 1024-pixel limit per side"
    );
    let e = failure(&[
        ("maps/m.bsp", &bsp()),
        ("levelshots/m_cc.png", b"\x89PNG garbage"),
    ]);
    assert!(
        e.starts_with("levelshots/m_cc.png in DIR/m.pk3: cannot decode: "),
        "{e}"
    );
    let e = failure(&[("maps/x.bsp", &bsp())]);
    assert_eq!(e, "no maps/m.bsp in MAPS_DIR");
}

#[test]
fn zip_bombs_and_huge_claims_are_refused_before_they_inflate() {
    let tga = encode(&quadrants(8, 8), "tga");
    // An image entry that declares 1000 bytes but inflates to 16 MiB: at most 1001 bytes are
    // ever inflated.
    let bomb = vec![0u8; 16 << 20];
    let mut zip = pk3_bytes(&[("maps/m.bsp", &bsp()), ("levelshots/m_cc.tga", &bomb)]);
    declare_size(&mut zip, "levelshots/m_cc.tga", 1000);
    let e = failure_of(zip);
    assert!(
        e.starts_with("levelshots/m_cc.tga in DIR/m.pk3: ") && e.contains("declare"),
        "{e}"
    );
    // An entry that declares 3 GiB is not read at all.
    let mut zip = pk3_bytes(&[("maps/m.bsp", &bsp()), ("levelshots/m_cc.tga", &tga)]);
    declare_size(&mut zip, "levelshots/m_cc.tga", 3 << 30);
    assert_eq!(
        failure_of(zip),
        "levelshots/m_cc.tga in DIR/m.pk3: declares 3221225472 bytes uncompressed, over the 1048576-byte limit"
    );
    // The same for the BSP: a huge claim, and a bomb whose lump bounds are checked against
    // what it declares (nothing past them is inflated).
    let mut zip = pk3_bytes(&[("maps/m.bsp", &bsp()), ("levelshots/m_cc.tga", &tga)]);
    declare_size(&mut zip, "maps/m.bsp", 3 << 30);
    assert_eq!(
        failure_of(zip),
        "maps/m.bsp in DIR/m.pk3: declares 3221225472 bytes uncompressed, over the 1048576-byte limit"
    );
    let mut big_bsp = bsp();
    big_bsp.resize(16 << 20, 0);
    let mut zip = pk3_bytes(&[("maps/m.bsp", &big_bsp), ("levelshots/m_cc.tga", &tga)]);
    declare_size(&mut zip, "maps/m.bsp", 150);
    let e = failure_of(zip);
    assert!(
        e.starts_with("maps/m.bsp in DIR/m.pk3: lump 0 (entities) at bytes 208..")
            && e.ends_with("is outside the 150-byte file"),
        "{e}"
    );
}

#[test]
fn corrupt_and_truncated_pk3s_fall_back() {
    let tga = encode(&quadrants(8, 8), "tga");
    let good = pk3_bytes(&[("maps/m.bsp", &bsp()), ("levelshots/m_cc.tga", &tga)]);
    // The image's deflated bytes damaged: the inflater or the CRC check says so.
    let mut damaged = good.clone();
    let at = damaged
        .windows(b"levelshots/m_cc.tga".len())
        .position(|w| w == b"levelshots/m_cc.tga")
        .unwrap()
        + b"levelshots/m_cc.tga".len();
    for b in &mut damaged[at + 4..at + 40] {
        *b ^= 0x5A;
    }
    let e = failure_of(damaged);
    assert!(e.starts_with("levelshots/m_cc.tga in DIR/m.pk3: "), "{e}");
    // Cut in half: the archive's directory is gone, the pk3 is skipped as the engine skips it.
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("m.pk3"), &good[..good.len() / 2]);
    let mut vfs = Vfs::new(&one(dir.path()));
    assert_eq!(vfs.problems.len(), 1);
    assert!(vfs.problems[0].reason.starts_with("not a readable zip"));
    assert_eq!(
        load(&mut vfs, "m", &Limits::default())
            .unwrap_err()
            .to_string(),
        "no maps/m.bsp in MAPS_DIR"
    );
}

#[test]
fn map_names_cannot_leave_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["../secret", "a/b", "", "c:d", "x\u{e9}"] {
        let e = load_from(&one(dir.path()), bad).unwrap_err();
        assert!(matches!(e, CommandMapError::BadName(_)), "{bad}: {e}");
    }
}

#[test]
fn shader_scripts_are_searched_as_the_renderer_joins_them() {
    let dir = tempfile::tempdir().unwrap();
    let shader = |image: &str| format!("levelshots/p_cc_trans {{ {{ clampmap {image} }} }}\n");
    let image = |side: u32| encode(&quadrants(side, side), "tga");
    // The renderer joins the scripts in reverse of the listing (highest priority first), so
    // of two scripts with different names the one listed LAST is searched first.
    pk3(
        &dir.path().join("z.pk3"),
        &[
            ("maps/p.bsp", &bsp()),
            (
                "scripts/high.shader",
                shader("levelshots/high.tga").as_bytes(),
            ),
            ("levelshots/high.tga", &image(10)),
        ],
    );
    pk3(
        &dir.path().join("a.pk3"),
        &[
            (
                "scripts/low.shader",
                shader("levelshots/low.tga").as_bytes(),
            ),
            ("levelshots/low.tga", &image(12)),
        ],
    );
    let root = one(dir.path());
    assert_eq!(load_from(&root, "p").unwrap().file_size, (12, 12));
    // A script of the same name is one file, the highest-priority copy.
    pk3(
        &dir.path().join("y.pk3"),
        &[(
            "scripts/low.shader",
            shader("levelshots/high.tga").as_bytes(),
        )],
    );
    assert_eq!(load_from(&root, "p").unwrap().file_size, (10, 10));
}
