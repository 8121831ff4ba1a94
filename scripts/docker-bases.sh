#!/usr/bin/env bash
# Makes the base images this project's Dockerfiles and compose file name,
# when the Docker engine has none and no registry can be reached (CI): the
# Dockerfiles keep their ordinary FROM lines and users keep pulling the usual
# images; here the same names are made locally instead.
#
#   debian:bookworm-slim   a Debian bookworm root file system (debootstrap,
#                          from Debian's packages), `docker import`ed
#   rust:1.95-bookworm     that + gcc and this machine's Rust toolchain
#   $WXC_LOCAL_MYSQL_IMAGE that + Debian's mariadb-server, with an entrypoint
#                          honouring MYSQL_ROOT_PASSWORD, MYSQL_DATABASE,
#                          MYSQL_USER and MYSQL_PASSWORD like the official
#                          image (deploy/docker/mariadb/); the compose file
#                          uses it through WXC_MYSQL_IMAGE, never by calling
#                          MariaDB "mysql:8.4"
#
# An image already present is kept (the engine is the cache between runs);
# the root file system tarball is also kept under $WXC_DOCKER_CACHE so a
# pruned engine does not debootstrap again. Prints the MySQL image's name.
set -euo pipefail
cd "$(dirname "$0")/.."

debian=debian:bookworm-slim
rust=rust:1.95-bookworm
mysql_image=${WXC_LOCAL_MYSQL_IMAGE:-wxcomponent-ci/mariadb:bookworm}
cache=${WXC_DOCKER_CACHE:-$HOME/.cache/wxcomponent-docker}
mirror=${WXC_DEBIAN_MIRROR:-http://deb.debian.org/debian}

have() { docker image inspect "$1" >/dev/null 2>&1; }
say() { echo "==> $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! have "$debian"; then
  rootfs_tar="$cache/bookworm-minbase.tar"
  if [ ! -s "$rootfs_tar" ]; then
    command -v debootstrap >/dev/null || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    say "debootstrap: a Debian bookworm root file system from $mirror"
    mkdir -p "$cache"
    rootfs=$(mktemp -d)
    as_root debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
    # As the slim image: no apt lists or caches, no documentation.
    as_root rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
    as_root tar -C "$rootfs" -cf "$rootfs_tar.part" .
    as_root rm -rf "$rootfs"
    mv "$rootfs_tar.part" "$rootfs_tar"
  fi
  say "importing $debian"
  docker import --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$rootfs_tar" "$debian-debootstrap" >/dev/null
  # The official image's package sources, security updates included, and
  # those updates applied: without them the MySQL client library is an
  # older release (10.11.18 here), with which a service started a second
  # time on a database runs its last migration again and fails.
  context=$(mktemp -d)
  security=${mirror%/debian}/debian-security
  cat >"$context/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  printf '%s\n' "FROM $debian-debootstrap" \
    'COPY debian.sources /etc/apt/sources.list.d/debian.sources' \
    'RUN rm -f /etc/apt/sources.list && apt-get update && apt-get -y upgrade && rm -rf /var/lib/apt/lists/*' \
    >"$context/Dockerfile"
  docker build --network host -q -t "$debian" "$context" >/dev/null
  docker rmi "$debian-debootstrap" >/dev/null
  rm -rf "$context"
fi

if ! have "$rust"; then
  toolchain=$(rustc --print sysroot)
  say "building $rust from $debian and this machine's toolchain ($(rustc --version))"
  context=$(mktemp -d)
  trap 'rm -rf "$context"' EXIT
  # Without the documentation: half the toolchain's size, never used here.
  tar -C "$toolchain" --exclude=./share/doc -cf "$context/toolchain.tar" .
  # This machine's certificate authorities: where crates.io is reached
  # through an inspecting proxy, cargo inside the build must trust it too.
  cp /etc/ssl/certs/ca-certificates.crt "$context/host-ca-certificates.crt"
  cat >"$context/Dockerfile" <<'EOF'
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates gcc g++ libc6-dev make pkg-config git curl \
 && rm -rf /var/lib/apt/lists/*
COPY host-ca-certificates.crt /usr/local/share/ca-certificates/host-ca-certificates.crt
RUN cat /usr/local/share/ca-certificates/host-ca-certificates.crt >> /etc/ssl/certs/ca-certificates.crt
ADD toolchain.tar /usr/local/rust/
ENV CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /usr/local/cargo/bin && cargo --version && rustc --version
EOF
  docker build --network host -q -t "$rust" "$context" >/dev/null
  rm -rf "$context"
  trap - EXIT
fi

if ! have "$mysql_image"; then
  say "building $mysql_image (Debian's MariaDB, the official MySQL image's variables)"
  docker build --network host -q -t "$mysql_image" deploy/docker/mariadb >/dev/null
fi

echo "$mysql_image"
