//! The committed TypeScript bindings match the Rust types.

use std::path::PathBuf;

#[test]
fn typescript_bindings_are_fresh() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/ipc/bindings.ts");
    let expected = whetstone_core::ipc::typescript_bindings();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "ui/src/ipc/bindings.ts is stale: run `cargo xtask codegen`"
    );
}
