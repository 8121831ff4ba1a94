# Every image of wxcomponent-rs, from one build: the workspace's release
# binaries are compiled once (stage `build`) and each service's image takes
# its binary from there.
#
#   docker build --target admin    -t wxcomponent/admin .
#   docker build --target callback -t wxcomponent/callback .
#   docker build --target business -t wxcomponent/business .
#   docker build --target gateway  -t wxcomponent/gateway .
#   docker build --target wxsim    -t wxcomponent/wxsim .
#   docker build -t wxcomponent/cloudrun .       # the last stage: Cloud Run's one container
#
# BuildKit is needed for the cache mounts (the default of `docker build` and
# `docker compose` since Docker 23; DOCKER_BUILDKIT=1 before). The runtime
# images are FROM scratch with only what their binary loads (see
# deploy/docker/rootfs.sh), non-root (10001), with a health check.
# Configured through the environment (WXC__SECTION__KEY, see the README);
# docker-compose.yml and deploy/k8s/ show complete set-ups.

# ---- dependency skeleton: manifests + stub sources ---------------------------
# Re-run on every source change, but its output only differs when a Cargo.toml
# or Cargo.lock does, so the dependency step of the build stage stays cached.
FROM rust:1.95-bookworm AS skeleton
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates crates
COPY deploy/docker/cargo-stubs.sh /usr/local/bin/cargo-stubs
RUN sh /usr/local/bin/cargo-stubs /src

# ---- build: every binary, once ------------------------------------------------
FROM rust:1.95-bookworm AS build
# cmake + pkg-config: bundled C dependencies; default-libmysqlclient-dev: the
# MySQL client library diesel links (libmariadb in Debian).
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake pkg-config default-libmysqlclient-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The gateway is built on its own: built together with the others, cargo
# would unify features and link diesel into it. The registry and target/
# are cache mounts: a later build (another commit) starts from the last one's
# compiled dependencies.
# 1. Third-party dependencies only: this step reruns only when a manifest or
#    Cargo.lock changes.
COPY --from=skeleton /src ./
RUN --mount=type=cache,id=wxc-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=wxc-target,target=/src/target \
    cargo build --release --locked -p gateway \
 && cargo build --release --locked -p admin -p callback -p business -p wxsim
# 2. The real sources (crates/common/migrations are embedded at compile time).
#    Touching them makes cargo rebuild the workspace crates even when their
#    mtimes predate the stub build.
RUN rm -rf crates
COPY crates crates
RUN --mount=type=cache,id=wxc-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=wxc-target,target=/src/target \
    find crates -name '*.rs' -exec touch {} + \
 && cargo build --release --locked -p gateway \
 && cargo build --release --locked -p admin -p callback -p business -p wxsim \
 && mkdir -p /out \
 && for bin in gateway admin callback business wxsim; do install -m 0755 "target/release/$bin" /out/; done

# ---- runtime file systems -----------------------------------------------------
FROM debian:bookworm-slim AS rootfs
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata libmariadb3 busybox-static libcap2-bin \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /out/
COPY deploy/docker/rootfs.sh /usr/local/bin/rootfs
# The one-container image's extras: bash for start-all.sh, the optional
# deploy/gateway.yaml (COPY alone would fail when it does not exist), and the
# capability to bind :80 without root.
COPY deploy/ /deploy/
COPY deploy/cloudrun/start-all.sh /rootfs/cloudrun/app/start-all.sh
RUN for service in admin callback business gateway wxsim; do rootfs "/rootfs/$service" "$service"; done \
 && rootfs /rootfs/cloudrun gateway admin callback business --bash \
 && for service in gateway cloudrun; do \
      mkdir -p "/rootfs/$service/app/deploy"; \
      if [ -f /deploy/gateway.yaml ]; then cp /deploy/gateway.yaml "/rootfs/$service/app/deploy/"; fi; \
      chown -R 10001:10001 "/rootfs/$service/app"; \
    done \
 && setcap cap_net_bind_service=+ep /rootfs/cloudrun/usr/local/bin/gateway

# ---- the service images ---------------------------------------------------------
FROM scratch AS callback
COPY --from=rootfs /rootfs/callback/ /
WORKDIR /app
ENV PATH=/usr/local/bin:/bin \
    WXC__CALLBACK__HOST=0.0.0.0 \
    WXC__CALLBACK__PORT=8081
USER 10001:10001
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["/bin/sh", "-c", "wget -q -O /dev/null http://127.0.0.1:${WXC__CALLBACK__PORT}/healthz"]
ENTRYPOINT ["/usr/local/bin/callback"]

FROM scratch AS admin
COPY --from=rootfs /rootfs/admin/ /
WORKDIR /app
# /app/data: the SQLite default database and the master key file, when used.
ENV PATH=/usr/local/bin:/bin \
    WXC__ADMIN__HOST=0.0.0.0 \
    WXC__ADMIN__PORT=8082
USER 10001:10001
EXPOSE 8082
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["/bin/sh", "-c", "wget -q -O /dev/null http://127.0.0.1:${WXC__ADMIN__PORT}/healthz"]
ENTRYPOINT ["/usr/local/bin/admin"]

FROM scratch AS business
COPY --from=rootfs /rootfs/business/ /
WORKDIR /app
ENV PATH=/usr/local/bin:/bin \
    WXC__BUSINESS__HOST=0.0.0.0 \
    WXC__BUSINESS__PORT=8083
USER 10001:10001
EXPOSE 8083
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["/bin/sh", "-c", "wget -q -O /dev/null http://127.0.0.1:${WXC__BUSINESS__PORT}/healthz"]
ENTRYPOINT ["/usr/local/bin/business"]

FROM scratch AS gateway
COPY --from=rootfs /rootfs/gateway/ /
WORKDIR /app
# The public listener on :80 (internal :8080, metrics :9091, the optional
# deploy/gateway.yaml read from /app); :80 as a non-root user needs
# net.ipv4.ip_unprivileged_port_start=0 (the compose file sets it) or
# another port in WXC__GATEWAY__LISTEN.
ENV PATH=/usr/local/bin:/bin
USER 10001:10001
EXPOSE 80 8080 9091
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/bin/wget", "-q", "-O", "/dev/null", "http://127.0.0.1:80/healthz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/gateway"]

FROM scratch AS wxsim
COPY --from=rootfs /rootfs/wxsim/ /
WORKDIR /app
ENV PATH=/usr/local/bin:/bin \
    WXSIM__HOST=0.0.0.0 \
    WXSIM__PORT=9101
USER 10001:10001
EXPOSE 9101
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/bin/sh", "-c", "wget -q -O /dev/null http://127.0.0.1:${WXSIM__PORT}/__sim/healthz"]
ENTRYPOINT ["/usr/local/bin/wxsim"]

# ---- WeChat Cloud Run (微信云托管): one container, the gateway on :80 ----------
# The admin (console), the callback receiver, the business service and the
# gateway, started by start-all.sh (which stops the container when one of
# them stops). The last stage, so a plain `docker build` (Cloud Run's
# pipeline, container.config.json) makes this image. On Cloud Run the MySQL
# variables (MYSQL_ADDRESS, MYSQL_USERNAME, MYSQL_PASSWORD, MYSQL_DATABASE)
# and WX_APPID select the database and the platform appid; without them,
# SQLite in /app/data. See deploy/README.md.
FROM scratch AS cloudrun
COPY --from=rootfs /rootfs/cloudrun/ /
WORKDIR /app
ENV PATH=/usr/local/bin:/bin
USER 10001:10001
EXPOSE 80
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["/bin/wget", "-q", "-O", "/dev/null", "http://127.0.0.1:80/healthz"]
CMD ["/bin/bash", "/app/start-all.sh"]
