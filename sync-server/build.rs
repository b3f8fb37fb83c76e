//! The admin web's built bundle (`admin/dist`, made by `make admin`) is compiled
//! into the server; rebuild when it changes.
fn main() {
    println!("cargo:rerun-if-changed=../admin/dist");
}
