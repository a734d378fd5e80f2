//! Without ONNX Runtime (not installed, or a file that is not the library), loading a model is
//! an error that says where it looked, never a panic. Its own test binary: once a process has
//! loaded the library it stays loaded, so this must run where nothing loaded it.

use luthier::model::card::ModelError;
use luthier::model::decoder::Decoder;
use luthier::model::runtime;
use std::path::Path;

#[test]
fn a_missing_or_wrong_runtime_is_a_clear_error() {
    // Nothing beside this test binary, nothing in a fresh user folder or build cache, no
    // variable.
    let empty = std::env::temp_dir().join(format!("luthier-no-runtime-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    std::env::set_var("XDG_DATA_HOME", &empty);
    std::env::set_var("XDG_CACHE_HOME", &empty);
    std::env::remove_var(runtime::ENV_VAR);

    let why = runtime::load(Some(Path::new("/nowhere/libonnxruntime.so.1.32.0")))
        .err()
        .expect("loaded a library that is not there")
        .to_string();
    assert!(
        why.contains("/nowhere/libonnxruntime.so.1.32.0 (not there)"),
        "{why}"
    );
    assert!(why.contains(runtime::ENV_VAR), "{why}");

    // A file that is not a shared library.
    let fake = empty.join(runtime::LIBRARY);
    std::fs::write(&fake, "not a library").unwrap();
    let why = runtime::load(Some(&fake))
        .err()
        .expect("loaded a text file")
        .to_string();
    assert!(why.contains(&fake.display().to_string()), "{why}");
    assert!(runtime::loaded().is_none());

    // A model then cannot load, and says why.
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/test/luthier-test.onnx");
    std::fs::remove_file(&fake).unwrap();
    match Decoder::load(&model, None) {
        Err(ModelError::Runtime(why)) => assert!(why.contains("not found"), "{why}"),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("a model loaded without ONNX Runtime"),
    }
}
