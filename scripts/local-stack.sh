#!/usr/bin/env bash
# Sourced by the scripts that drive the whole stack as a user runs it
# (smoke-start.sh, schemathesis.sh): ./start.sh on a fresh SQLite database in
# a work directory, on seven free ports of its own, started in the background
# and waited for; stopped with Ctrl-C (SIGINT) as a user would.
#
#   wxc_stack_start WORK_DIR    sets p_gateway p_sim p_callback p_admin
#                               p_business p_internal p_metrics, WXC_STACK_DB
#                               and WXC_STACK_PID
#   wxc_stack_stop              Ctrl-C to the whole process group, then waits
#                               up to 15 s; returns 1 if it is still running
#
# The caller sets WXC__ADMIN__PASSWORD and anything else it needs before
# starting; the database, ports and master key are set here.

wxc_stack_start() {
  local work=$1
  # Seven free ports from below the ephemeral range (see scripts/free-ports.py).
  read -r p_gateway p_sim p_callback p_admin p_business p_internal p_metrics \
    < <(python3 scripts/free-ports.py 7)
  WXC_STACK_DB="$work/stack.db"
  export WXC__DATABASE__URL="sqlite://$WXC_STACK_DB"
  export WXC_GATEWAY_PORT=$p_gateway WXSIM_PORT=$p_sim
  export WXC__CALLBACK__PORT=$p_callback WXC__ADMIN__PORT=$p_admin WXC__BUSINESS__PORT=$p_business
  export WXC__GATEWAY__INTERNAL_LISTEN="127.0.0.1:$p_internal"
  export WXC__GATEWAY__METRICS_LISTEN="127.0.0.1:$p_metrics"
  export WXC__SECRETS__KEY_PATH="$work/master.key"
  setsid ./start.sh >"$work/start.log" 2>&1 &
  WXC_STACK_PID=$!
  # The first start builds the release binaries: up to 30 minutes.
  for _ in $(seq 1 1800); do
    grep -q "is running" "$work/start.log" && return 0
    if ! kill -0 "$WXC_STACK_PID" 2>/dev/null; then
      cat "$work/start.log"
      echo "start.sh exited early" >&2
      return 1
    fi
    sleep 1
  done
  cat "$work/start.log"
  echo "start.sh did not say it is running within 30 minutes" >&2
  return 1
}

wxc_stack_stop() {
  [ -n "${WXC_STACK_PID:-}" ] || return 0
  kill -INT -"$WXC_STACK_PID" 2>/dev/null || true
  for _ in $(seq 1 75); do
    kill -0 "$WXC_STACK_PID" 2>/dev/null || return 0
    sleep 0.2
  done
  return 1
}
