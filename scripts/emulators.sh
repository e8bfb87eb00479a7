#!/usr/bin/env bash
# emulators.sh up|down|status — the local AWS emulators for batchinfer.
#
#   fauxqs   (SQS + S3)  on 127.0.0.1:${FAUXQS_PORT:-4566}
#   dynalite (DynamoDB)  on 127.0.0.1:${DYNALITE_PORT:-4569}
#
# BATCHINFER_RUN_DIR overrides the pid/log folder (tests use their own).
# Both are started through the launchers in scripts/, which listen on
# 127.0.0.1 only (the emulators' own CLIs bind 0.0.0.0). Pid files and
# logs live in .cache/run/. `up` is idempotent: an emulator whose pid file
# names a live process that answers its health check is left alone.
# `down` stops each emulator by the pid in its pid file.
#
# Point the AWS SDK (and batchinfer) at them with:
#   export AWS_ENDPOINT_URL_SQS=http://127.0.0.1:4566 AWS_ENDPOINT_URL_S3=http://127.0.0.1:4566 \
#          AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:4569 AWS_REGION=us-east-1 \
#          AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="${BATCHINFER_RUN_DIR:-$root/.cache/run}"
fauxqs_port="${FAUXQS_PORT:-4566}"
dynalite_port="${DYNALITE_PORT:-4569}"

die() { echo "emulators: $*" >&2; exit 1; }

# healthy NAME PORT: the emulator answers an API call.
healthy() {
  case "$1" in
    fauxqs) curl -fsS -m 2 "http://127.0.0.1:$2/health" >/dev/null 2>&1 ;;
    dynalite)
      curl -fsS -m 2 -X POST "http://127.0.0.1:$2/" \
        -H 'Content-Type: application/x-amz-json-1.0' \
        -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
        -H 'X-Amz-Date: 20200101T000000Z' \
        -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
        -d '{}' >/dev/null 2>&1 ;;
  esac
}

alive() { # PID: running, not a zombie waiting for a slow init to reap it
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
  [[ "$state" != "Z" && -n "$state" ]]
}

running() { # NAME: the pid in the pid file is alive
  local pidfile="$run/$1.pid"
  [[ -f "$pidfile" ]] && alive "$(cat "$pidfile")"
}

start() { # NAME PORT
  local name="$1" port="$2"
  if running "$name" && healthy "$name" "$port"; then
    echo "$name already up on 127.0.0.1:$port (pid $(cat "$run/$name.pid"))"
    return
  fi
  if running "$name"; then # alive but not answering: replace it
    stop "$name"
  fi
  if healthy "$name" "$port"; then
    die "127.0.0.1:$port already answers as $name but was not started here (no pid file): stop it first"
  fi
  command -v node >/dev/null || die "node is not on PATH (run: go tool task setup)"
  [[ -d "$root/.cache/node/node_modules/$name" ]] || die "$name is not installed (run: go tool task setup)"
  nohup node "$root/scripts/$name-launcher.js" "$port" >"$run/$name.log" 2>&1 </dev/null &
  echo $! >"$run/$name.pid"
  for _ in $(seq 1 100); do
    if healthy "$name" "$port"; then
      echo "$name up on 127.0.0.1:$port (pid $(cat "$run/$name.pid"), log $run/$name.log)"
      return
    fi
    running "$name" || { cat "$run/$name.log" >&2; rm -f "$run/$name.pid"; die "$name exited during start"; }
    sleep 0.1
  done
  stop "$name"
  die "$name did not answer on 127.0.0.1:$port within 10 s (log: $run/$name.log)"
}

stop() { # NAME
  local name="$1" pidfile="$run/$1.pid" pid
  if [[ ! -f "$pidfile" ]]; then
    echo "$name not running (no pid file)"
    return
  fi
  pid="$(cat "$pidfile")"
  if alive "$pid"; then
    kill "$pid"
    for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.05; done
    if alive "$pid"; then kill -9 "$pid"; fi
    echo "$name stopped (pid $pid)"
  else
    echo "$name was not running (stale pid $pid)"
  fi
  rm -f "$pidfile"
}

status() { # NAME PORT
  if running "$1" && healthy "$1" "$2"; then
    echo "$1 up on 127.0.0.1:$2 (pid $(cat "$run/$1.pid"))"
  else
    echo "$1 down"
    return 1
  fi
}

mkdir -p "$run"
case "${1:-}" in
  up)
    start fauxqs "$fauxqs_port"
    start dynalite "$dynalite_port"
    ;;
  down)
    stop fauxqs
    stop dynalite
    ;;
  status)
    rc=0
    status fauxqs "$fauxqs_port" || rc=1
    status dynalite "$dynalite_port" || rc=1
    exit $rc
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
