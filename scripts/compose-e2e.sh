#!/usr/bin/env bash
# The Docker images and the compose stack for real (CI calls this when a
# Docker engine answers; without one it says so and stops):
#   1. every image built from nothing (one compile for all), sizes reported;
#      `up` with wxsim as WeChat (deploy/sim.env); every service healthy; the
#      gateway answering on its published port
#   2. the product walk over the containers: a ticket pushed by the wxsim
#      container through the gateway, an authorization, the account listed,
#      a message forwarded to business and answered, the 全网发布 check
#   3. business scaled to 3: the gateway finds the replicas and spreads
#      requests over all; one replica killed under load without a failed
#      request; taken back when it returns
#   4. the database container restarted in the middle of 1,000 signed pushes
#      (tests/compose/pushes.py): every push answered `success` is stored
#   5. down, then up: ticket, tokens, accounts, rules and the administrator's
#      password are still there (named volumes)
#   6. the Cloud Run image alone, with Cloud Run's variables, against the
#      database container: port 80, x-wx-source pushes stored
# No registry is needed: scripts/docker-bases.sh makes the base images.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

say() { echo "==> compose e2e: $*"; }
fail() {
  echo "compose e2e FAILED: $*" >&2
  compose logs --tail 40 >&2 2>/dev/null || true
  exit 1
}

if ! docker info >/dev/null 2>&1; then
  say "SKIPPED: no Docker engine answers here (docker info failed)"
  exit 0
fi

# A docker CLI that builds with BuildKit (the Dockerfile's cache mounts):
# one with buildx, or a 20.10 client, which has BuildKit built in.
docker_cli=""
for cli in $(which -a docker | awk '!seen[$0]++'); do
  if "$cli" buildx version >/dev/null 2>&1; then docker_cli=$cli; break; fi
  case $("$cli" version --format '{{.Client.Version}}' 2>/dev/null) in
    19.*|20.*) docker_cli=$cli; break ;;
  esac
done
[ -n "$docker_cli" ] || fail "no docker client here builds with BuildKit (install docker-buildx)"
if docker compose version >/dev/null 2>&1; then
  compose_cmd=(docker compose)
elif command -v docker-compose >/dev/null; then
  compose_cmd=(docker-compose)
else
  fail "neither 'docker compose' nor 'docker-compose' is installed"
fi
say "docker $("$docker_cli" version --format '{{.Server.Version}}'), $("${compose_cmd[@]}" version --short 2>/dev/null || echo compose)"

WXC_MYSQL_IMAGE=$(scripts/docker-bases.sh)
export WXC_MYSQL_IMAGE
export WXC_TAG=e2e COMPOSE_PROJECT_NAME=wxce2e
export WXC_ADMIN_PASSWORD=compose-e2e-password WXC_INNER_TOKEN=compose-e2e-inner-token
export WXC_BUSINESS_API_TOKEN=compose-e2e-api-token
export MYSQL_ROOT_PASSWORD=compose-e2e-root MYSQL_PASSWORD=compose-e2e-db
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WXC_HTTP_PORT=$(free_port)
export WXC_HTTP_PORT
gateway="http://127.0.0.1:$WXC_HTTP_PORT"
cloudrun_port=$(free_port)
cloudrun=${COMPOSE_PROJECT_NAME}-cloudrun
compose() { "${compose_cmd[@]}" --env-file deploy/sim.env --profile sim "$@"; }
cleanup() {
  docker rm -f "$cloudrun" >/dev/null 2>&1 || true
  compose down -v --remove-orphans >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

# ---- 1. images, up, healthy -----------------------------------------------------
images=(admin callback business gateway wxsim cloudrun)
started=$(date +%s)
for target in "${images[@]}"; do
  say "building wxcomponent/$target:$WXC_TAG"
  DOCKER_BUILDKIT=1 "$docker_cli" build --network host -q --target "$target" \
    -t "wxcomponent/$target:$WXC_TAG" . >/dev/null
done
say "images built in $(( $(date +%s) - started )) s"
echo "| image | size |"
echo "|---|---|"
for target in "${images[@]}"; do
  bytes=$(docker image inspect -f '{{.Size}}' "wxcomponent/$target:$WXC_TAG")
  mb=$(( (bytes + 999999) / 1000000 ))
  limit=60; [ "$target" = cloudrun ] && limit=120
  note=""; [ "$mb" -le "$limit" ] || note=" (over the ${limit} MB target)"
  echo "| wxcomponent/$target | ${mb} MB$note |"
done

# Waits until every container of the stack reports healthy.
wait_healthy() {
  local deadline=$(( $(date +%s) + ${1:-240} )) ids states
  while :; do
    ids=$(compose ps -q)
    states=$(for id in $ids; do docker inspect -f '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id"; done)
    if [ -n "$ids" ] && ! grep -qv ' healthy$' <<<"$states"; then return 0; fi
    if [ "$(date +%s)" -gt "$deadline" ]; then
      echo "$states" >&2
      compose logs --tail 30 >&2 || true
      fail "the stack did not turn healthy"
    fi
    sleep 2
  done
}

say "up (wxsim plays WeChat)"
compose up -d --no-build >/dev/null 2>&1 || { compose logs --tail 50 >&2; fail "compose up"; }
wait_healthy 300
curl -fsS "$gateway/healthz" >/dev/null || fail "the gateway does not answer on :$WXC_HTTP_PORT"
say "every service healthy; the gateway answers on :$WXC_HTTP_PORT"

# ---- 2. the product walk -------------------------------------------------------
sim() { compose exec -T wxsim wxsim --sim http://127.0.0.1:9101 "$@"; }
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {"d": d}))' "$1"; }
# Retries a command for up to 60 s (what it waits for happens in the background).
eventually() {
  local what=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  fail "never: $what"
}
password_md5=$(printf '%s' "$WXC_ADMIN_PASSWORD" | md5sum | cut -d' ' -f1)
login() {
  curl -fsS -X PUT -H 'content-type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$password_md5\"}" "$gateway/wxcomponent/auth" | json 'd["data"]["jwt"]'
}
admin_get() { curl -fsS -H "authorization: Bearer $jwt" "$gateway/wxcomponent/admin/$1"; }

[ "$(sim push-ticket | json 'd["push"]["delivered"]')" = True ] || fail "the ticket push was not delivered"
jwt=$(login)
ticket_has_value() { [ -n "$(admin_get ticket | json 'd["data"]["ticket"]')" ]; }
eventually "the ticket stored" ticket_has_value
appid=wxcomposeofficial1
code=$(sim pre-auth-code | json 'd["pre_auth_code"]')
[ "$(sim authorize --pre-auth-code "$code" --appid "$appid" | json 'd["push"]["delivered"]')" = True ] || fail "authorization push"
listed() { admin_get "authorizer-list?offset=0&limit=20&q=$appid" | grep -q "\"$appid\""; }
eventually "the authorized account listed" listed
rule=$(curl -fsS -X PUT -H "authorization: Bearer $jwt" -H 'content-type: application/json' \
  -d '{"name":"to business","infoType":"","msgType":"text","event":"","open":1,"data":{"port":8083,"path":"/api/wx/message/$APPID$"}}' \
  "$gateway/wxcomponent/admin/callback-proxy-rule")
[ "$(json 'd["code"]' <<<"$rule")" = 0 ] || fail "forward rule: $rule"
reply=$(curl -fsS -X POST -H "authorization: Bearer $WXC_BUSINESS_API_TOKEN" -H 'content-type: application/json' \
  -d "{\"appid\":\"$appid\",\"keyword\":\"你好\",\"match\":\"contains\",\"reply\":{\"type\":\"text\",\"content\":\"compose 欢迎你\"}}" \
  "$gateway/api/autoreply")
[ "$(json 'd["code"]' <<<"$reply")" = 0 ] || fail "auto-reply: $reply"
answered() { sim message --appid "$appid" --text "你好呀" | grep -q 'compose 欢迎你'; }
eventually "the forwarded message answered by business" answered
[ "$(sim release-check | json 'd["passed"]')" = True ] || fail "the 全网发布 check"
say "walk: ticket, authorization, account listed, message answered by business, 全网发布 check passed"

# ---- 3. scaled business ----------------------------------------------------------
say "scaling business to 3"
compose up -d --no-build --scale business=3 >/dev/null 2>&1 || fail "scale"
wait_healthy 120
# Counts the replicas answering $1 requests (X-Served-By of the counter).
spread() {
  local n=$1 out
  out=$(mktemp)
  for _ in $(seq 1 "$n"); do
    curl -fsS -o /dev/null -D - "$gateway/api/count" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-served-by"{print $2}'
  done >"$out"
  sort "$out" | uniq -c
  rm -f "$out"
}
three() { [ "$(spread 30 | wc -l)" -ge 3 ]; }
eventually "the gateway spreading over 3 replicas" three
counts=$(spread 300)
echo "$counts"
[ "$(wc -l <<<"$counts")" -eq 3 ] || fail "300 requests reached $(wc -l <<<"$counts") replicas, not 3"
failures=$(mktemp)
( for _ in $(seq 1 300); do curl -fsS -o /dev/null "$gateway/api/count" || echo x; done >"$failures" ) &
load=$!
sleep 1
victim=$(compose ps -q business | head -1)
docker kill "$victim" >/dev/null
wait "$load"
failed=$(wc -l <"$failures" | tr -d ' ')
rm -f "$failures"
[ "$failed" = 0 ] || fail "$failed of 300 requests failed while a replica was killed"
say "300 requests spread over 3 replicas; a replica killed under load: 0 failed"
docker start "$victim" >/dev/null
back() { spread 30 | grep -q "${victim:0:12}"; }
eventually "the returned replica taken back" back
say "the killed replica is served again once it returns"
compose up -d --no-build --scale business=1 >/dev/null 2>&1

# ---- 4. the database restarted mid-stream --------------------------------------
say "1,000 signed pushes, the database container restarted in the middle"
python3 -c 'import cryptography' 2>/dev/null || python3 -m pip install -q cryptography
tag="e2edb$(date +%s)"
outcome=$(python3 tests/compose/pushes.py "$gateway" "$appid" wxcomponentsim0001 wxsimtoken \
  abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG 1000 "$tag" 300 \
  "docker restart -t 2 $(compose ps -q mysql) >/dev/null")
wait_healthy 180
acked=$(json 'len(d["acked"])' <<<"$outcome")
during=$(json 'd["during_command"]' <<<"$outcome")
say "answered success: $acked; otherwise: $(json 'd["refused"]' <<<"$outcome"); answered while the database restarted: $during"
[ "$during" -gt 0 ] || fail "the database restart was not in the middle of the stream"
# A push the callback could not store is refused with a 5xx (WeChat retries
# it; 0 = no answer in time, the same to WeChat), never a 4xx or a success
# it did not keep (checked below).
wrong=$(json '",".join(s for s in d["refused"] if not (s.startswith("5") or s == "0"))' <<<"$outcome")
[ -z "$wrong" ] || fail "pushes refused with other than a 5xx while the database restarted: $wrong"
stored=$(compose exec -T mysql mysql -N -uroot -p"$MYSQL_ROOT_PASSWORD" wxcomponent -e \
  "SELECT postbody FROM wxcallback_biz WHERE postbody LIKE '%${tag}%'" 2>/dev/null | grep -o "${tag}[0-9]*" | sort -u)
lost=$(comm -23 <(json '"\n".join(sorted(d["acked"]))' <<<"$outcome") <(echo "$stored"))
[ -z "$lost" ] || fail "acknowledged but not stored: $(wc -l <<<"$lost") pushes, e.g. $(head -3 <<<"$lost" | tr '\n' ' ')"
[ "$acked" -gt 0 ] || fail "no push was acknowledged"
say "every one of the $acked acknowledged pushes is stored ($(wc -l <<<"$stored") stored in all)"

# ---- 5. down and up: everything kept ---------------------------------------------
token_before=$(admin_get component-access-token | json 'd["data"]["token"]')
say "down, then up again"
compose down >/dev/null 2>&1
compose up -d --no-build >/dev/null 2>&1 || fail "up after down"
wait_healthy 300
jwt=$(login) || fail "the administrator's password did not survive"
ticket_has_value || fail "the ticket did not survive"
[ "$(admin_get component-access-token | json 'd["data"]["token"]')" = "$token_before" ] || fail "the component token did not survive"
listed || fail "the authorized account did not survive"
admin_get "callback-proxy-rule-list?offset=0&limit=10" | grep -q 'to business' || fail "the forward rule did not survive"
say "after down/up: password, ticket, component token, account and rule all kept"

# ---- 6. the Cloud Run image ------------------------------------------------------
say "the Cloud Run image alone, with Cloud Run's variables"
compose exec -T mysql mysql -uroot -p"$MYSQL_ROOT_PASSWORD" -e \
  "CREATE DATABASE IF NOT EXISTS cloudrun CHARACTER SET utf8mb4; GRANT ALL ON cloudrun.* TO 'wxcomponent'@'%';" 2>/dev/null
network=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$(compose ps -q mysql)")
docker run -d --name "$cloudrun" --network "$network" -p "127.0.0.1:$cloudrun_port:80" \
  -e MYSQL_ADDRESS=mysql:3306 -e MYSQL_USERNAME=wxcomponent -e MYSQL_PASSWORD="$MYSQL_PASSWORD" \
  -e MYSQL_DATABASE=cloudrun -e WX_APPID=wxcomponentsim0001 "wxcomponent/cloudrun:$WXC_TAG" >/dev/null
cloudrun_healthy() { [ "$(docker inspect -f '{{.State.Health.Status}}' "$cloudrun")" = healthy ]; }
eventually "the Cloud Run container healthy" cloudrun_healthy || { docker logs "$cloudrun" | tail -30 >&2; exit 1; }
push=$(printf '{"AppId":"wxcomponentsim0001","CreateTime":%s,"InfoType":"component_verify_ticket","ComponentVerifyTicket":"ticket@@@compose-cloudrun"}' "$(date +%s)")
answer=$(curl -fsS -X POST -H 'content-type: application/json' -H 'x-wx-source: wxcomponent' -d "$push" "http://127.0.0.1:$cloudrun_port/wxcallback/component")
[ "$answer" = success ] || fail "the Cloud Run push was answered: $answer"
stored=$(compose exec -T mysql mysql -N -uroot -p"$MYSQL_ROOT_PASSWORD" cloudrun -e \
  "SELECT COUNT(*) FROM wxcallback_component WHERE postbody LIKE '%compose-cloudrun%'" 2>/dev/null | tr -d '\r')
[ "$stored" = 1 ] || fail "the Cloud Run push is stored $stored times"
say "Cloud Run image: healthy on :80, an x-wx-source push answered and stored"

say "passed"
