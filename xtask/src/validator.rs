//! Steinberg's VST3 validator (the SDK's conformance tester) for the tests to run on the built
//! VST3 bundle (`cargo xtask test` hands its path over as LUTHIER_VST3_VALIDATOR). Debian 12
//! does not package it, but Debian 13 ("trixie") has the SDK as the source package `vst3sdk`,
//! so it is fetched with apt's own tools (the Debian archive is a registry the machines reach),
//! built once with cmake and the system C++ compiler, and cached under ~/.cache/luthier.
//! Nothing is written outside that folder, so it needs no root.
//! shared/notes/vst3-validator.md has the trial this follows.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::run_checked;

const PACKAGE: &str = "vst3sdk";
const SUITE: &str = "trixie";
const KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";
const APT_HELPER: &str = "/usr/lib/apt/apt-helper";
/// Only the validator: the SDK's other hosting samples need GTK.
const HOSTING_CMAKELISTS: &str = "add_subdirectory(validator)\n";
const CMAKE_FLAGS: &[&str] = &[
    "-DCMAKE_BUILD_TYPE=Release",
    "-DSMTG_ENABLE_VSTGUI_SUPPORT=OFF",
    "-DSMTG_ENABLE_VST3_PLUGIN_EXAMPLES=OFF",
    "-DSMTG_ENABLE_VST3_HOSTING_EXAMPLES=ON",
    "-DSMTG_RUN_VST_VALIDATOR=OFF",
    "-DSMTG_CREATE_PLUGIN_LINK=OFF",
];

fn cache_dir() -> Result<PathBuf> {
    // As onnxruntime.rs and the plugin read it: empty means unset.
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".cache"),
    };
    Ok(base.join("luthier").join("vst3-validator"))
}

/// The cached validator binary, fetched and built first if it is not there yet.
pub fn ensure_validator() -> Result<PathBuf> {
    let dir = cache_dir()?;
    let validator = dir.join("validator");
    if validator.is_file() {
        return Ok(validator);
    }
    require_tools()?;
    eprintln!(
        "building Steinberg's VST3 validator from Debian's {PACKAGE} source package \
         (once, under a minute; cached in {})",
        dir.display()
    );
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let tarballs = fetch_sources(&dir)?;
    let src = unpack(&dir.join("src"), &tarballs)?;
    let built = build(&src, &dir.join("build"))?;
    // Copied then renamed, so that an interrupted copy is never taken for a built validator.
    let partial = dir.join("validator.partial");
    std::fs::copy(&built, &partial)
        .with_context(|| format!("copying {} to {}", built.display(), partial.display()))?;
    std::fs::rename(&partial, &validator)?;
    eprintln!("vst3-validator: ready: {}", validator.display());
    Ok(validator)
}

/// Checks everything the fetch and build run, so that a missing tool is named up front
/// instead of surfacing as a cmake error minutes later.
fn require_tools() -> Result<()> {
    let works = |program: &str, arg: &str| {
        Command::new(program)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let need = "the VST3 validator is built from source and needs";
    if !works("apt-get", "--version") || !Path::new(APT_HELPER).exists() {
        bail!("{need} apt (apt-get and {APT_HELPER}) to fetch Debian's {PACKAGE} sources");
    }
    if !Path::new(KEYRING).exists() {
        bail!(
            "{need} Debian's archive keyring ({KEYRING}): `apt-get install debian-archive-keyring`"
        );
    }
    if !works("cmake", "--version") {
        bail!("{need} cmake, which is not installed: `apt-get install cmake`");
    }
    // cmake picks $CXX first, then c++ (build-essential's g++).
    let cxx = std::env::var("CXX")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "c++".to_string());
    if !works(&cxx, "--version") {
        bail!("{need} a C++ compiler, but `{cxx}` is not installed: `apt-get install build-essential`");
    }
    // cmake's default generator on Linux writes Makefiles.
    if std::env::var_os("CMAKE_GENERATOR").is_none() && !works("make", "--version") {
        bail!("{need} make, which is not installed: `apt-get install build-essential`");
    }
    Ok(())
}

struct Tarball {
    uri: String,
    name: String,
    /// As apt prints it, e.g. `SHA256:0c9f...`; apt-helper checks the download against it.
    hash: String,
}

/// Downloads the package's upstream (`.orig`) tarballs into `dir/downloads`, using a private
/// apt configuration that knows only trixie's source line, so the machine's own apt setup is
/// neither read for sources nor changed.
fn fetch_sources(dir: &Path) -> Result<Vec<PathBuf>> {
    let apt = dir.join("apt");
    for sub in ["lists/partial", "cache/archives/partial"] {
        std::fs::create_dir_all(apt.join(sub))?;
    }
    let sources = apt.join("sources.list");
    std::fs::write(
        &sources,
        format!(
            "deb-src [signed-by={KEYRING}] {} {SUITE} main\n",
            debian_mirror()?
        ),
    )?;
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let options = [
        format!("Dir::Etc::SourceList={}", path(&sources)),
        "Dir::Etc::SourceParts=/dev/null".to_string(),
        format!("Dir::State::Lists={}", path(&apt.join("lists"))),
        format!("Dir::Cache={}", path(&apt.join("cache"))),
        // apt as root hands downloads to the _apt user, which cannot write into a folder under
        // root's home; the setting is ignored when not root, where apt cannot switch users.
        "APT::Sandbox::User=root".to_string(),
    ];
    let apt_options: Vec<String> = options
        .iter()
        .flat_map(|o| ["-o".to_string(), o.clone()])
        .collect();

    eprintln!("vst3-validator: reading Debian {SUITE}'s source index (about 10 MB)");
    run_checked(
        Command::new("apt-get")
            .args(&apt_options)
            .args(["-qq", "update"]),
        &format!("fetch Debian {SUITE}'s source index with apt-get update"),
    )?;
    let output = Command::new("apt-get")
        .args(&apt_options)
        .args(["-qq", "source", "--print-uris", PACKAGE])
        .stderr(Stdio::inherit())
        .output()
        .context("could not run apt-get source --print-uris")?;
    if !output.status.success() {
        bail!(
            "apt-get source --print-uris {PACKAGE} failed ({})",
            output.status
        );
    }
    let tarballs = parse_print_uris(&String::from_utf8_lossy(&output.stdout));
    if !tarballs.iter().any(|t| component(&t.name).is_none()) {
        bail!("apt-get source --print-uris {PACKAGE} listed no main .orig tarball");
    }

    let downloads = dir.join("downloads");
    std::fs::create_dir_all(&downloads)?;
    let mut paths = Vec::new();
    for tarball in &tarballs {
        let dest = downloads.join(&tarball.name);
        if dest.exists() && sha256_matches(&dest, &tarball.hash) {
            eprintln!("vst3-validator: {} (already downloaded)", tarball.name);
        } else {
            eprintln!("vst3-validator: downloading {}", tarball.name);
            let _ = std::fs::remove_file(&dest);
            run_checked(
                Command::new(APT_HELPER)
                    .args(&apt_options)
                    .args(["download-file", &tarball.uri])
                    .arg(&dest)
                    .arg(&tarball.hash)
                    // stdout is the `cargo xtask validator` answer: progress goes to stderr.
                    .stdout(std::io::stderr()),
                &format!(
                    "download {} (or it did not match {})",
                    tarball.uri, tarball.hash
                ),
            )?;
        }
        paths.push(dest);
    }
    Ok(paths)
}

/// Where the machine's apt gets Debian's own packages (the entry for its release's codename),
/// so a machine set up with a local mirror keeps using it; `LUTHIER_DEBIAN_MIRROR` overrides.
fn debian_mirror() -> Result<String> {
    if let Some(mirror) = std::env::var("LUTHIER_DEBIAN_MIRROR")
        .ok()
        .filter(|v| !v.is_empty())
    {
        return Ok(mirror);
    }
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let codename = os_release
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|c| c.trim_matches('"').to_string())
        .unwrap_or_default();
    let output = Command::new("apt-get")
        .args(["indextargets", "--format", "$(REPO_URI) $(RELEASE)"])
        .output()
        .context("could not run apt-get indextargets")?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .find(|(_, release)| !codename.is_empty() && *release == codename)
        .map(|(uri, _)| uri.trim_end_matches('/').to_string())
        .with_context(|| {
            format!(
                "found no Debian mirror for release '{codename}' in the machine's apt sources: \
                 set LUTHIER_DEBIAN_MIRROR to a Debian archive URL that carries {SUITE}"
            )
        })
}

/// The upstream tarballs from `apt-get source --print-uris` lines such as
/// `'URI' vst3sdk_3.7.10.14+~4.13.3.orig-cmake.tar.gz 262984 SHA256:f469...`; the `.dsc` and
/// the Debian packaging are not needed to build.
fn parse_print_uris(text: &str) -> Vec<Tarball> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [uri, name, _size, hash, ..] = fields[..] else {
                return None;
            };
            let uri = uri.strip_prefix('\'')?.strip_suffix('\'')?;
            name.contains(".orig").then(|| Tarball {
                uri: uri.to_string(),
                name: name.to_string(),
                hash: hash.to_string(),
            })
        })
        .collect()
}

/// The component of a `NAME.orig-COMPONENT.tar.*` tarball; None for the main `NAME.orig.tar.*`.
fn component(name: &str) -> Option<&str> {
    let rest = &name[name.find(".orig")? + ".orig".len()..];
    Some(rest.strip_prefix('-')?.split(".tar").next().unwrap_or(rest))
}

/// A tarball kept from an earlier, failed build is reused only if it still has apt's hash.
fn sha256_matches(file: &Path, hash: &str) -> bool {
    let Some(wanted) = hash.strip_prefix("SHA256:") else {
        return false;
    };
    Command::new("sha256sum")
        .arg(file)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .is_some_and(|o| {
            String::from_utf8_lossy(&o.stdout).split_whitespace().next() == Some(wanted)
        })
}

/// Unpacks the SDK by hand, as `dpkg-source` would lay it out without Debian's packaging: the
/// main tarball at the top, each component in the folder of its name.
fn unpack(src: &Path, tarballs: &[PathBuf]) -> Result<PathBuf> {
    // Unpacking again would touch every file and so rebuild everything after a failed build.
    let stamp = src.join(".luthier-unpacked");
    let wanted: String = tarballs
        .iter()
        .map(|t| format!("{}\n", t.file_name().unwrap_or_default().to_string_lossy()))
        .collect();
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(src.to_path_buf());
    }
    eprintln!("vst3-validator: unpacking into {}", src.display());
    if src.exists() {
        std::fs::remove_dir_all(src).with_context(|| format!("removing {}", src.display()))?;
    }
    // The main tarball first, so the components land in its tree.
    let mut ordered: Vec<&PathBuf> = tarballs.iter().collect();
    ordered
        .sort_by_key(|t| component(&t.file_name().unwrap_or_default().to_string_lossy()).is_some());
    for tarball in ordered {
        let name = tarball
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let folder = match component(&name) {
            None => src.to_path_buf(),
            // The SDK's folder has a dot where a Debian component name cannot.
            Some("public-sdk") => src.join("public.sdk"),
            Some(other) => src.join(other),
        };
        std::fs::create_dir_all(&folder)?;
        run_checked(
            Command::new("tar")
                .arg("-xf")
                .arg(tarball)
                .arg("-C")
                .arg(&folder)
                .arg("--strip-components=1"),
            &format!("unpack {name}"),
        )?;
    }
    let hosting = src.join("public.sdk/samples/vst-hosting/CMakeLists.txt");
    if !hosting.exists() {
        bail!(
            "{} is missing: the {PACKAGE} sources are not laid out as expected",
            hosting.display()
        );
    }
    std::fs::write(&hosting, HOSTING_CMAKELISTS)?;
    std::fs::write(&stamp, wanted)?;
    Ok(src.to_path_buf())
}

fn build(src: &Path, build: &Path) -> Result<PathBuf> {
    eprintln!("vst3-validator: configuring with cmake");
    run_checked(
        Command::new("cmake")
            .arg("-S")
            .arg(src)
            .arg("-B")
            .arg(build)
            .args(CMAKE_FLAGS)
            .stdout(std::io::stderr()),
        "configure the VST3 SDK with cmake",
    )?;
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!("vst3-validator: compiling the validator ({jobs} jobs, about 25 s on 2 cores)");
    run_checked(
        Command::new("cmake")
            .arg("--build")
            .arg(build)
            .args(["--target", "validator", "--parallel", &jobs.to_string()])
            .stdout(std::io::stderr()),
        "build the VST3 validator",
    )?;
    // The SDK puts executables under bin/<configuration>/.
    let built = build.join("bin/Release/validator");
    if !built.is_file() {
        bail!("the build finished but {} is not there", built.display());
    }
    Ok(built)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_orig_tarballs_and_their_components() {
        let text = "\
'http://m/v/vst3sdk_1%2b%7e2-4.dsc' vst3sdk_1+~2-4.dsc 3835 SHA256:aa
'http://m/v/vst3sdk_1%2b%7e2.orig-public-sdk.tar.gz' vst3sdk_1+~2.orig-public-sdk.tar.gz 12 SHA256:bb
'http://m/v/vst3sdk_1%2b%7e2.orig.tar.gz' vst3sdk_1+~2.orig.tar.gz 41 SHA256:cc
'http://m/v/vst3sdk_1%2b%7e2-4.debian.tar.xz' vst3sdk_1+~2-4.debian.tar.xz 38 SHA256:dd
";
        let tarballs = parse_print_uris(text);
        let names: Vec<&str> = tarballs.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "vst3sdk_1+~2.orig-public-sdk.tar.gz",
                "vst3sdk_1+~2.orig.tar.gz"
            ]
        );
        assert_eq!(
            tarballs[0].uri,
            "http://m/v/vst3sdk_1%2b%7e2.orig-public-sdk.tar.gz"
        );
        assert_eq!(tarballs[0].hash, "SHA256:bb");
        assert_eq!(component(&tarballs[0].name), Some("public-sdk"));
        assert_eq!(component(&tarballs[1].name), None);
    }
}
