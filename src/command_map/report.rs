//! `proximity maps`: which maps have a command map, and why the others have none.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::{Limits, Vfs, load};
use crate::maps::map_names;

/// The lines `proximity maps` prints: the folders searched, the pk3s left out, then every map
/// found in them or known from `et_maps.json`, one line each, sorted by name:
/// `<map>: command map: yes (<w>x<h>, from <file>)` or `<map>: command map: no: <reason>`.
pub fn report_lines(dirs: &[PathBuf], limits: &Limits) -> Vec<String> {
    let known: BTreeSet<String> = map_names().map(str::to_string).collect();
    if dirs.is_empty() {
        let mut out =
            vec!["MAPS_DIR is not set: every heatmap uses the plain map frame".to_string()];
        out.extend(
            known
                .iter()
                .map(|m| format!("{m}: command map: no: MAPS_DIR is not set")),
        );
        return out;
    }
    let mut vfs = Vfs::new(dirs);
    let folders: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    let mut out = vec![format!(
        "MAPS_DIR: {} ({} pk3s read)",
        folders.join(", "),
        vfs.pk3_count()
    )];
    out.extend(vfs.problems.iter().map(|p| format!("left out: {p}")));
    let mut names = known;
    names.extend(vfs.list("maps", "bsp").into_iter().filter_map(|f| {
        let file = f.name.strip_prefix("maps/")?;
        Some(file.strip_suffix(".bsp")?.to_string())
    }));
    let mut with = 0;
    for name in &names {
        match load(&mut vfs, name, limits) {
            Ok(cm) => {
                with += 1;
                out.push(format!(
                    "{name}: command map: yes ({}x{}, from {})",
                    cm.file_size.0,
                    cm.file_size.1,
                    cm.from.display()
                ));
            }
            Err(e) => out.push(format!("{name}: command map: no: {e}")),
        }
    }
    out.push(format!("{with} of {} maps have a command map", names.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command_map::bsp::{test_bsp, test_entities};
    use crate::command_map::testfiles::{encode, pk3, quadrants, write};

    #[test]
    fn every_map_is_listed_with_its_image_or_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let bsp = test_bsp(&test_entities((-512.0, 512.0), (512.0, -512.0)));
        pk3(
            &dir.path().join("supply.pk3"),
            &[
                ("maps/supply.bsp", &bsp),
                (
                    "levelshots/supply_cc.tga",
                    &encode(&quadrants(32, 16), "tga"),
                ),
            ],
        );
        pk3(
            &dir.path().join("zz_custom.pk3"),
            &[("maps/zz_custom.bsp", &bsp)],
        );
        write(&dir.path().join("broken.pk3"), b"not a zip");
        let lines = report_lines(&[dir.path().to_path_buf()], &Limits::default());
        let d = dir.path().display();
        assert_eq!(lines[0], format!("MAPS_DIR: {d} (2 pk3s read)"));
        assert!(lines[1].starts_with(&format!("left out: {d}/broken.pk3: not a readable zip")));
        assert!(lines.contains(&format!(
            "supply: command map: yes (32x16, from {d}/supply.pk3)"
        )));
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("zz_custom: command map: no: no command map image")),
            "{lines:#?}"
        );
        assert!(lines.contains(
            &"adlernest: command map: no: no maps/adlernest.bsp in MAPS_DIR".to_string()
        ));
        let maps = map_names().count() + 1;
        assert_eq!(
            lines.last().unwrap(),
            &format!("1 of {maps} maps have a command map")
        );
        assert_eq!(lines.len(), 2 + maps + 1);

        let unset = report_lines(&[], &Limits::default());
        assert_eq!(unset.len(), map_names().count() + 1);
        assert_eq!(
            unset[1],
            format!(
                "{}: command map: no: MAPS_DIR is not set",
                map_names().min().unwrap()
            )
        );
    }
}
