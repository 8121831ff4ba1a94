//! Checks of the deployment artifacts, read as files (no Docker engine or
//! cluster needed): `docker-compose.yml` against the Compose specification's
//! JSON schema (`tests/data/compose-spec.json`, carried in the repository),
//! the Kubernetes manifests in `deploy/k8s/`, the WeChat Cloud Run config in
//! `deploy/cloudrun/`, and the Dockerfiles with their dependency skeleton.

mod cloudrun;
mod compose;
mod dockerfiles;
mod k8s;
mod support;
