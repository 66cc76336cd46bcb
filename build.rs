//! Rebuilds when a migration is added: `sqlx::migrate!` embeds the migrations folders at compile
//! time, and without this cargo does not notice a new file in them.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
