//! The Dockerfiles: multi-stage (a cached dependency layer, then the real
//! sources), a slim non-root runtime with a health check, consistent with
//! the workspace layout; and the dependency skeleton their first stage makes.

use std::path::Path;

use crate::support::{read, repo_root};

/// A Dockerfile, what it builds, the port it serves and whether its binaries
/// link diesel (and so need the MySQL client library at run time).
struct Image {
    path: &'static str,
    crates: &'static [&'static str],
    port: u16,
    links_mysql: bool,
}

const IMAGES: &[Image] = &[
    Image {
        path: "Dockerfile.callback",
        crates: &["callback"],
        port: 8081,
        links_mysql: true,
    },
    Image {
        path: "Dockerfile.admin",
        crates: &["admin"],
        port: 8082,
        links_mysql: true,
    },
    Image {
        path: "Dockerfile.business",
        crates: &["business"],
        port: 8083,
        links_mysql: true,
    },
    Image {
        path: "deploy/gateway/Dockerfile",
        crates: &["gateway"],
        port: 80,
        links_mysql: false,
    },
    Image {
        path: "deploy/wxsim/Dockerfile",
        crates: &["wxsim"],
        port: 9101,
        links_mysql: false,
    },
    Image {
        path: "deploy/cloudrun/Dockerfile",
        crates: &["gateway", "admin", "callback", "business"],
        port: 80,
        links_mysql: true,
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

fn stages_of(image: &Image) -> Vec<Stage> {
    let stages = parse(&read(image.path));
    assert!(stages.len() >= 2, "{}: multi-stage", image.path);
    stages
}

#[test]
fn every_image_builds_in_a_rust_stage_named_build_and_runs_slim() {
    for image in IMAGES {
        let stages = stages_of(image);
        let build = stages
            .iter()
            .find(|s| s.name().as_deref() == Some("build"))
            .unwrap_or_else(|| panic!("{}: no `FROM ... AS build` stage", image.path));
        assert_eq!(
            build.image(),
            "rust:1.95-bookworm",
            "{}: the build image",
            image.path
        );
        let installs = build.all("RUN").collect::<Vec<_>>().join("\n");
        for package in ["cmake", "pkg-config", "default-libmysqlclient-dev"] {
            assert!(
                installs.contains(package),
                "{}: the build stage installs {package}",
                image.path
            );
        }
        let runtime = stages.last().expect("stages");
        assert_eq!(
            runtime.image(),
            "debian:bookworm-slim",
            "{}: the runtime image",
            image.path
        );
    }
}

#[test]
fn dependencies_are_built_before_the_real_sources_are_copied() {
    for image in IMAGES {
        let stages = stages_of(image);
        let build = stages
            .iter()
            .find(|s| s.name().as_deref() == Some("build"))
            .expect("a build stage");
        let copy_sources = build
            .instructions
            .iter()
            .position(|i| i.keyword == "COPY" && i.args.split_whitespace().next() == Some("crates"))
            .unwrap_or_else(|| panic!("{}: the build stage copies crates/", image.path));
        let before = &build.instructions[..copy_sources];
        let after = &build.instructions[copy_sources..];
        assert!(
            before
                .iter()
                .any(|i| i.keyword == "COPY" && i.args.contains("--from=skeleton")),
            "{}: the dependency layer starts from the skeleton stage",
            image.path
        );
        for krate in image.crates {
            let builds = |part: &[Instruction]| {
                part.iter().any(|i| {
                    i.keyword == "RUN"
                        && i.args.contains("cargo build --release --locked")
                        && i.args
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .windows(2)
                            .any(|w| w == ["-p", krate])
                })
            };
            assert!(
                builds(before),
                "{}: {krate} dependencies are built (and cached) first",
                image.path
            );
            assert!(
                builds(after),
                "{}: {krate} is built from the real sources",
                image.path
            );
        }
        let skeleton = stages
            .iter()
            .find(|s| s.name().as_deref() == Some("skeleton"))
            .unwrap_or_else(|| panic!("{}: no skeleton stage", image.path));
        assert!(
            skeleton.all("RUN").any(|r| r.contains("cargo-stubs")),
            "{}: the skeleton stage runs deploy/docker/cargo-stubs.sh",
            image.path
        );
    }
}

#[test]
fn the_runtime_is_non_root_with_a_health_check_and_the_service_port() {
    for image in IMAGES {
        let stages = stages_of(image);
        let runtime = stages.last().expect("stages");
        let user = runtime
            .all("USER")
            .last()
            .unwrap_or_else(|| panic!("{}: no USER in the runtime stage", image.path));
        let uid = user.split(':').next().unwrap_or_default();
        assert!(
            !matches!(uid, "" | "root" | "0"),
            "{}: the runtime user must not be root: {user}",
            image.path
        );
        let healthcheck = runtime
            .all("HEALTHCHECK")
            .last()
            .unwrap_or_else(|| panic!("{}: no HEALTHCHECK", image.path));
        assert!(
            healthcheck.contains("CMD"),
            "{}: HEALTHCHECK runs a command",
            image.path
        );
        let exposed: Vec<&str> = runtime
            .all("EXPOSE")
            .flat_map(str::split_whitespace)
            .collect();
        assert!(
            exposed.contains(&image.port.to_string().as_str()),
            "{}: EXPOSE {} (got {exposed:?})",
            image.path,
            image.port
        );
        assert!(
            runtime
                .all("ENTRYPOINT")
                .chain(runtime.all("CMD"))
                .next()
                .is_some(),
            "{}: the runtime stage says what to run",
            image.path
        );
        let installs = runtime.all("RUN").collect::<Vec<_>>().join("\n");
        for package in ["ca-certificates", "tzdata"] {
            assert!(
                installs.contains(package),
                "{}: the runtime installs {package}",
                image.path
            );
        }
        assert_eq!(
            installs.contains("libmariadb3"),
            image.links_mysql,
            "{}: libmariadb3 belongs exactly in the images whose binaries link diesel",
            image.path
        );
    }
}

#[test]
fn everything_copied_from_the_context_exists() {
    let root = repo_root();
    for image in IMAGES {
        for stage in stages_of(image) {
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
                        "{}: COPY {source}: no such file in the repository",
                        image.path
                    );
                }
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
