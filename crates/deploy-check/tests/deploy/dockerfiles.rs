//! The Dockerfile: one build stage for every binary (a cached dependency
//! step, then the real sources), one scratch image per service with only its
//! binary's file system, non-root with a health check; and the dependency
//! skeleton its first stage makes. `scripts/compose-e2e.sh` builds and runs
//! them for real.

use std::path::Path;

use crate::support::{read, repo_root};

/// The one Dockerfile: every image is a target of it.
const DOCKERFILE: &str = "Dockerfile";

/// A target of the Dockerfile, the binaries in it and the port it serves.
struct Image {
    target: &'static str,
    binaries: &'static [&'static str],
    port: u16,
}

const IMAGES: &[Image] = &[
    Image {
        target: "callback",
        binaries: &["callback"],
        port: 8081,
    },
    Image {
        target: "admin",
        binaries: &["admin"],
        port: 8082,
    },
    Image {
        target: "business",
        binaries: &["business"],
        port: 8083,
    },
    Image {
        target: "gateway",
        binaries: &["gateway"],
        port: 80,
    },
    Image {
        target: "wxsim",
        binaries: &["wxsim"],
        port: 9101,
    },
    Image {
        target: "cloudrun",
        binaries: &["gateway", "admin", "callback", "business"],
        port: 80,
    },
];

/// One instruction: the keyword in upper case and its arguments, with line
/// continuations joined.
struct Instruction {
    keyword: String,
    args: String,
}

/// A build stage: its `FROM` arguments and its instructions.
struct Stage {
    from: String,
    instructions: Vec<Instruction>,
}

impl Stage {
    fn all<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.instructions
            .iter()
            .filter(move |i| i.keyword == keyword)
            .map(|i| i.args.as_str())
    }

    fn name(&self) -> Option<String> {
        let words: Vec<&str> = self.from.split_whitespace().collect();
        match words.as_slice() {
            [.., as_, name] if as_.eq_ignore_ascii_case("as") => Some(name.to_string()),
            _ => None,
        }
    }

    fn image(&self) -> &str {
        self.from
            .split_whitespace()
            .find(|w| !w.starts_with("--"))
            .unwrap_or_default()
    }
}

fn parse(text: &str) -> Vec<Stage> {
    let mut logical = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if !current.is_empty() && trimmed.starts_with('#') {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                logical.push(std::mem::take(&mut current));
            }
        }
    }
    assert!(
        current.is_empty(),
        "a Dockerfile ends inside a line continuation"
    );
    let mut stages: Vec<Stage> = Vec::new();
    for line in logical {
        let (keyword, args) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        let instruction = Instruction {
            keyword: keyword.to_ascii_uppercase(),
            args: args.trim().to_string(),
        };
        if instruction.keyword == "FROM" {
            stages.push(Stage {
                from: instruction.args,
                instructions: Vec::new(),
            });
        } else {
            stages
                .last_mut()
                .expect("the first instruction of a Dockerfile is FROM")
                .instructions
                .push(instruction);
        }
    }
    stages
}

fn stages() -> Vec<Stage> {
    parse(&read(DOCKERFILE))
}

fn stage<'a>(stages: &'a [Stage], name: &str) -> &'a Stage {
    stages
        .iter()
        .find(|s| s.name().as_deref() == Some(name))
        .unwrap_or_else(|| panic!("{DOCKERFILE}: no `FROM ... AS {name}` stage"))
}

/// Whether a `RUN` builds `krate` with cargo.
fn builds(run: &Instruction, krate: &str) -> bool {
    run.keyword == "RUN"
        && run.args.contains("cargo build --release --locked")
        && run
            .args
            .split_whitespace()
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| w == ["-p", krate])
}

#[test]
fn one_rust_stage_builds_every_binary_first_dependencies_then_sources() {
    let stages = stages();
    let build = stage(&stages, "build");
    assert_eq!(build.image(), "rust:1.95-bookworm");
    let runs = build.all("RUN").collect::<Vec<_>>().join("\n");
    for package in ["cmake", "pkg-config", "default-libmysqlclient-dev"] {
        assert!(runs.contains(package), "the build stage installs {package}");
    }
    let copy_sources = build
        .instructions
        .iter()
        .position(|i| i.keyword == "COPY" && i.args.split_whitespace().next() == Some("crates"))
        .expect("the build stage copies crates/");
    let (before, after) = build.instructions.split_at(copy_sources);
    assert!(
        before
            .iter()
            .any(|i| i.keyword == "COPY" && i.args.contains("--from=skeleton")),
        "the dependency step starts from the skeleton stage"
    );
    for krate in ["gateway", "admin", "callback", "business", "wxsim"] {
        assert!(
            before.iter().any(|i| builds(i, krate)),
            "{krate}: dependencies built (and cached) first"
        );
        assert!(
            after.iter().any(|i| builds(i, krate)),
            "{krate}: built from the real sources"
        );
    }
    for run in build.all("RUN").filter(|r| r.contains("cargo build")) {
        for cache in ["target=/usr/local/cargo/registry", "target=/src/target"] {
            assert!(
                run.contains("--mount=type=cache") && run.contains(cache),
                "cargo runs with a cache mount at {cache}: {run}"
            );
        }
    }
    assert_eq!(
        stages
            .iter()
            .filter(|s| s.all("RUN").any(|r| r.contains("cargo build")))
            .count(),
        1,
        "only the build stage compiles"
    );
    let skeleton = stage(&stages, "skeleton");
    assert!(
        skeleton.all("RUN").any(|r| r.contains("cargo-stubs")),
        "the skeleton stage runs deploy/docker/cargo-stubs.sh"
    );
}

#[test]
fn every_image_is_a_scratch_file_system_with_only_its_binaries() {
    let stages = stages();
    let rootfs = stage(&stages, "rootfs");
    assert_eq!(rootfs.image(), "debian:bookworm-slim");
    let runs = rootfs.all("RUN").collect::<Vec<_>>().join("\n");
    for package in ["ca-certificates", "tzdata", "libmariadb3", "busybox-static"] {
        assert!(
            runs.contains(package),
            "the rootfs stage installs {package}"
        );
    }
    for image in IMAGES {
        let runtime = stage(&stages, image.target);
        assert_eq!(runtime.image(), "scratch", "{}", image.target);
        let copies: Vec<&str> = runtime.all("COPY").collect();
        assert_eq!(
            copies,
            [format!("--from=rootfs /rootfs/{}/ /", image.target).as_str()],
            "{}: the image is its file system alone",
            image.target
        );
        let made = if image.target == "cloudrun" {
            runs.contains(&format!(
                "rootfs /rootfs/cloudrun {} --bash",
                image.binaries.join(" ")
            ))
        } else {
            runs.contains("for service in admin callback business gateway wxsim; do rootfs \"/rootfs/$service\" \"$service\"")
        };
        assert!(
            made,
            "{}: its file system holds {:?}",
            image.target, image.binaries
        );
    }
    assert_eq!(
        stages.last().and_then(Stage::name).as_deref(),
        Some("cloudrun"),
        "a plain `docker build` (Cloud Run's pipeline) makes the one-container image"
    );
}

#[test]
fn the_runtime_is_non_root_with_a_health_check_and_the_service_port() {
    let stages = stages();
    for image in IMAGES {
        let runtime = stage(&stages, image.target);
        let user = runtime
            .all("USER")
            .last()
            .unwrap_or_else(|| panic!("{}: no USER", image.target));
        let uid = user.split(':').next().unwrap_or_default();
        assert!(
            !matches!(uid, "" | "root" | "0"),
            "{}: the runtime user must not be root: {user}",
            image.target
        );
        let healthcheck = runtime
            .all("HEALTHCHECK")
            .last()
            .unwrap_or_else(|| panic!("{}: no HEALTHCHECK", image.target));
        assert!(
            healthcheck.contains("CMD") && healthcheck.contains("wget"),
            "{}: HEALTHCHECK fetches the health endpoint with busybox's wget",
            image.target
        );
        let exposed: Vec<&str> = runtime
            .all("EXPOSE")
            .flat_map(str::split_whitespace)
            .collect();
        assert!(
            exposed.contains(&image.port.to_string().as_str()),
            "{}: EXPOSE {} (got {exposed:?})",
            image.target,
            image.port
        );
        assert!(
            runtime
                .all("ENTRYPOINT")
                .chain(runtime.all("CMD"))
                .next()
                .is_some(),
            "{}: the image says what to run",
            image.target
        );
    }
}

#[test]
fn everything_copied_from_the_context_exists() {
    let root = repo_root();
    for stage in stages() {
        for args in stage.all("COPY") {
            let words: Vec<&str> = args.split_whitespace().collect();
            if words.iter().any(|w| w.starts_with("--from")) {
                continue;
            }
            let sources: Vec<&str> = words
                .iter()
                .copied()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let (_, sources) = sources.split_last().expect("COPY has a destination");
            for source in sources {
                assert!(
                    root.join(source).exists(),
                    "COPY {source}: no such file in the repository"
                );
            }
        }
    }
}

#[test]
fn the_dockerignore_keeps_build_output_out_and_sources_in() {
    let ignore = read(".dockerignore");
    let patterns: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(
        patterns
            .iter()
            .any(|p| p.trim_start_matches("**/").trim_matches('/') == "target"),
        ".dockerignore excludes target/"
    );
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "crates",
        "deploy",
        "deploy/docker",
    ] {
        assert!(
            !patterns.iter().any(|p| p.trim_matches('/') == needed),
            ".dockerignore must not exclude {needed}"
        );
    }
}

/// Every file below `dir`, relative to it.
fn files_below(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("a readable directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("below dir");
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// The targets cargo insists on finding for a manifest, as paths relative
/// to its crate: lib and bin stand-ins plus everything declared explicitly.
fn declared_targets(manifest: &toml::Table) -> Vec<String> {
    let mut paths = vec!["src/lib.rs".to_string(), "src/main.rs".to_string()];
    if let Some(path) = manifest
        .get("lib")
        .and_then(|lib| lib.get("path"))
        .and_then(toml::Value::as_str)
    {
        paths.push(path.to_string());
    }
    for (section, default_dir) in [
        ("bin", "src/bin"),
        ("test", "tests"),
        ("bench", "benches"),
        ("example", "examples"),
    ] {
        let targets = manifest.get(section).and_then(toml::Value::as_array);
        for target in targets.into_iter().flatten() {
            let path = target.get("path").and_then(toml::Value::as_str);
            let name = target.get("name").and_then(toml::Value::as_str);
            match (path, name) {
                (Some(path), _) => paths.push(path.to_string()),
                (None, Some(name)) => paths.push(format!("{default_dir}/{name}.rs")),
                (None, None) => panic!("a [[{section}]] target without name or path"),
            }
        }
    }
    if let Some(build) = manifest
        .get("package")
        .and_then(|p| p.get("build"))
        .and_then(toml::Value::as_str)
    {
        paths.push(build.to_string());
    }
    paths
}

#[test]
fn the_dependency_skeleton_keeps_only_manifests_and_every_declared_target() {
    let root = repo_root();
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let crates_dir = root.join("crates");
    let mut crates: Vec<String> = std::fs::read_dir(&crates_dir)
        .expect("crates/ is readable")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_string))
        .collect();
    crates.sort();
    for krate in &crates {
        let target = scratch.path().join("crates").join(krate);
        std::fs::create_dir_all(target.join("src/routes")).expect("mkdir");
        std::fs::copy(
            crates_dir.join(krate).join("Cargo.toml"),
            target.join("Cargo.toml"),
        )
        .expect("copy the manifest");
        // Real sources the skeleton must drop.
        std::fs::write(target.join("src/routes/mod.rs"), "pub fn real() {}\n").expect("write");
        std::fs::write(target.join("README.md"), "real\n").expect("write");
    }
    let status = std::process::Command::new("sh")
        .arg(root.join("deploy/docker/cargo-stubs.sh"))
        .arg(scratch.path())
        .status()
        .expect("sh runs");
    assert!(status.success(), "cargo-stubs.sh failed");

    for krate in &crates {
        let dir = scratch.path().join("crates").join(krate);
        let manifest: toml::Table = toml::from_str(&read(&format!("crates/{krate}/Cargo.toml")))
            .unwrap_or_else(|e| panic!("crates/{krate}/Cargo.toml: {e}"));
        let files = files_below(&dir);
        for target in declared_targets(&manifest) {
            assert!(
                files.contains(&target),
                "crates/{krate}: the skeleton lacks {target}, so cargo would refuse the manifest"
            );
        }
        for file in &files {
            if file == "Cargo.toml" {
                continue;
            }
            let text = std::fs::read_to_string(dir.join(file)).expect("read a stub");
            assert!(
                file.ends_with(".rs") && matches!(text.trim(), "" | "fn main() {}"),
                "crates/{krate}/{file} is not a stub: real sources must not reach the dependency layer"
            );
        }
    }
}
