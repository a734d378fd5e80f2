//! Finding and loading the ONNX Runtime shared library, once per process.
//!
//! The plugin must keep running when the library is missing or wrong: `ort` panics if any of
//! its API is used before a library is loaded, so every decoder is built only after `load`
//! succeeded, and `load`'s error says where it looked.
//!
//! Where it looks, first match wins: the path given by the caller (a setting), the
//! `LUTHIER_ONNXRUNTIME` environment variable, beside the binary this code runs in (inside the
//! `.vst3` bundle, beside the `.clap`, beside the command-line tool), the user data folder
//! (`$XDG_DATA_HOME/luthier`, default `~/.local/share/luthier`), then the cache the build fetches
//! it into (`$XDG_CACHE_HOME/luthier/onnxruntime-1.32.0`, default under `~/.cache`), so that
//! tests, benches and a tool run from `target/` find it on a developer's machine.

use ort::environment::Environment;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

pub const LIBRARY: &str = "libonnxruntime.so.1.32.0";
pub const ENV_VAR: &str = "LUTHIER_ONNXRUNTIME";

/// The loaded library and its environment, kept for the life of the process: `ort` holds the
/// environment only weakly, and a library cannot be swapped once loaded.
struct Loaded {
    path: PathBuf,
    environment: Environment,
}

static LOADED: OnceLock<Loaded> = OnceLock::new();
/// Serialises attempts, so two plugin instances activating at once do not both load.
static ATTEMPT: Mutex<()> = Mutex::new(());

#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeError(pub String);

impl std::fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RuntimeError {}

/// Loads ONNX Runtime if no earlier call did; returns its environment, which sessions need.
pub fn load(explicit: Option<&Path>) -> Result<&'static Environment, RuntimeError> {
    if let Some(loaded) = LOADED.get() {
        return Ok(&loaded.environment);
    }
    let _guard = ATTEMPT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(loaded) = LOADED.get() {
        return Ok(&loaded.environment);
    }
    let candidates = candidates(explicit);
    let mut tried = Vec::new();
    for path in &candidates {
        if !path.is_file() {
            tried.push(format!("{} (not there)", path.display()));
            continue;
        }
        match init(path) {
            Ok(environment) => {
                let loaded = LOADED.get_or_init(|| Loaded {
                    path: path.clone(),
                    environment,
                });
                return Ok(&loaded.environment);
            }
            Err(why) => tried.push(format!("{} ({why})", path.display())),
        }
    }
    Err(RuntimeError(format!(
        "ONNX Runtime {LIBRARY} was not found or would not load; looked at: {}. \
         Reinstall the plugin bundle, or set {ENV_VAR} to the library's path.",
        tried.join("; ")
    )))
}

/// Whether a library is loaded (so that `ort` may be used).
pub fn loaded() -> Option<&'static Path> {
    LOADED.get().map(|l| l.path.as_path())
}

fn init(path: &Path) -> Result<Environment, String> {
    let builder = ort::init_from(path).map_err(|e| e.to_string())?;
    builder
        .with_name("luthier")
        .build()
        .map_err(|e| e.to_string())
}

fn candidates(explicit: Option<&Path>) -> Vec<PathBuf> {
    let mut list: Vec<PathBuf> = explicit.map(Path::to_path_buf).into_iter().collect();
    if let Some(path) = std::env::var_os(ENV_VAR).filter(|p| !p.is_empty()) {
        list.push(PathBuf::from(path));
    }
    if let Some(dir) = own_binary().as_deref().and_then(Path::parent) {
        list.push(dir.join(LIBRARY));
    }
    if let Some(dir) = user_data_dir() {
        list.push(dir.join(LIBRARY));
    }
    if let Some(dir) = build_cache_dir() {
        list.push(dir.join(LIBRARY));
    }
    list
}

/// Where `cargo xtask onnxruntime` (xtask/src/onnxruntime.rs) caches the library.
fn build_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("luthier/onnxruntime-1.32.0"))
}

/// `$XDG_DATA_HOME/luthier`, or `~/.local/share/luthier`.
pub fn user_data_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("luthier"))
}

/// The file this code was loaded from: the plugin's `.so` inside a host, or the executable.
#[cfg(unix)]
pub fn own_binary() -> Option<PathBuf> {
    use std::ffi::{CStr, OsStr};
    use std::os::unix::ffi::OsStrExt;
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    let address = own_binary as *const libc::c_void;
    // Safety: dladdr only reads the address and fills `info`; dli_fname, when set, points at a
    // string the loader owns for as long as the object stays loaded.
    let found = unsafe { libc::dladdr(address, &mut info) };
    if found == 0 || info.dli_fname.is_null() {
        return std::env::current_exe().ok();
    }
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    let path = PathBuf::from(OsStr::from_bytes(name.to_bytes()));
    Some(path.canonicalize().unwrap_or(path))
}

#[cfg(not(unix))]
pub fn own_binary() -> Option<PathBuf> {
    std::env::current_exe().ok()
}
