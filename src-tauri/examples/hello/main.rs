//! A Tauri hello-world, only for `cargo xtask bench`: the floor that Whetstone's
//! launch time and idle memory are measured against in the same run. It is an
//! example of this crate so it is built with the same Tauri version, features and
//! release profile as the app (and reuses its compiled dependencies); it is never
//! bundled. Its own config (beside this file) opens one window whose page marks
//! `body[data-ready]` once loaded, as the app's first screen does.

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!(
            "src-tauri/examples/hello/tauri.conf.json"
        ))
        .expect("error while running the hello-world window");
}
