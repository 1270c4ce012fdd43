// Rebuild when a migration is added or changed: `sqlx::migrate!` embeds the folder at compile
// time and would otherwise keep the old list until something else recompiles the crate.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
