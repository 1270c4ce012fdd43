//! ET:Legacy weapon numbers (`WP_*`, bg_public.h:848-912) and which of them are aimed bullets.

/// Number of `WP_*` values (`WP_NUM_WEAPONS`); ids at or above it are unknown.
pub const WEAPON_COUNT: i64 = 56;

/// Display names, indexed by `WP_*` number.
const NAMES: [&str; WEAPON_COUNT as usize] = [
    "None",
    "Knife",
    "Luger",
    "MP40",
    "Grenade",
    "Panzerfaust",
    "Flamethrower",
    "Colt",
    "Thompson",
    "Grenade",
    "Sten",
    "Syringe",
    "Ammo pack",
    "Artillery",
    "Silenced Luger",
    "Dynamite",
    "Smoke trail",
    "Map mortar",
    "Explosion",
    "Medkit",
    "Binoculars",
    "Pliers",
    "Smoke marker",
    "K98",
    "Carbine",
    "Garand",
    "Landmine",
    "Satchel",
    "Satchel detonator",
    "Smoke bomb",
    "MG42",
    "K43",
    "FG42",
    "MG42 (dummy)",
    "Mortar",
    "Akimbo Colts",
    "Akimbo Lugers",
    "GPG40",
    "M7",
    "Silenced Colt",
    "Garand scope",
    "K43 scope",
    "FG42 scope",
    "Mortar (set)",
    "Adrenaline",
    "Akimbo silenced Colts",
    "Akimbo silenced Lugers",
    "MG42 (set)",
    "Kabar",
    "Browning",
    "Browning (set)",
    "Mortar",
    "Mortar (set)",
    "Bazooka",
    "MP34",
    "Airstrike",
];

/// The weapon's name, or `weapon <id>` for a number this table does not know.
pub fn weapon_name(id: i64) -> String {
    usize::try_from(id)
        .ok()
        .and_then(|i| NAMES.get(i))
        .map(|n| (*n).to_string())
        .unwrap_or_else(|| format!("weapon {id}"))
}

/// Whether `id` is a `WP_*` number.
pub fn is_known_weapon(id: i64) -> bool {
    (0..WEAPON_COUNT).contains(&id)
}

/// Whether `id` fires aimed bullets: pistols, SMGs, rifles (scoped too), FG42, mobile MG42 and
/// Browning, MP34 (`metrics.md`). Only these count in accuracy and headshot figures.
pub fn is_bullet_weapon(id: i64) -> bool {
    matches!(
        id,
        2 | 3
            | 7
            | 8
            | 10
            | 14
            | 23
            | 24
            | 25
            | 30
            | 31
            | 32
            | 35
            | 36
            | 39
            | 40
            | 41
            | 42
            | 45
            | 46
            | 47
            | 49
            | 50
            | 54
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_engine_numbers() {
        assert_eq!(weapon_name(3), "MP40");
        assert_eq!(weapon_name(8), "Thompson");
        assert_eq!(weapon_name(54), "MP34");
        assert_eq!(weapon_name(55), "Airstrike");
        assert_eq!(weapon_name(56), "weapon 56");
        assert_eq!(weapon_name(-1), "weapon -1");
    }

    #[test]
    fn explosives_and_blades_are_not_bullets() {
        for id in [1, 4, 5, 6, 9, 15, 26, 27, 34, 37, 38, 48, 53, 55] {
            assert!(!is_bullet_weapon(id), "{}", weapon_name(id));
        }
        for id in [2, 3, 8, 10, 23, 25, 32, 41, 49, 54] {
            assert!(is_bullet_weapon(id), "{}", weapon_name(id));
        }
    }
}
