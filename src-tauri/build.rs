fn main() {
    // Reads tauri.conf.json; `generate_context!` then embeds ui/dist, so the UI
    // must be built first (`make ui`).
    tauri_build::build();
}
