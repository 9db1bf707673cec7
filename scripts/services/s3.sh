#!/usr/bin/env bash
# Local S3 (moto's server mode) for the remote-dataset tests and CI (loopback only, in-memory).
#
#   scripts/services/s3.sh install          moto[server] into .venv-s3 (no-op if already there)
#   scripts/services/s3.sh start [port]     start (no-op if already answering); waits until S3 answers;
#                                           prints the endpoint URL on stdout (logs go to stderr)
#   scripts/services/s3.sh stop             SIGTERM, waits for exit (SIGKILL after WK_S3_WAIT); idempotent
#   scripts/services/s3.sh restart [port]   stop + start; ALL buckets and objects are lost (see below)
#   scripts/services/s3.sh status           prints state; exit 0 running, 1 not answering, 3 stopped
#   scripts/services/s3.sh env              prints the client `export ...` lines for the current port
#
# Environment:
#   WK_S3_PORT      port (default 9010; `start PORT` overrides it)
#   WK_S3_DIR       state dir: moto.pid, moto.log, port, tmp/ (default /tmp/wk-s3)
#   WK_S3_WAIT      seconds to wait for start/stop (default 30; the first start imports moto, ~2-4 s)
#   WK_S3_VENV      virtualenv (default <repo>/.venv-s3)
#   WK_S3_MOTO      pip requirement (default moto[server]==5.2.6)
#
# Clients (any SDK; moto accepts any credentials, but a signature must be present and well formed):
#   AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 (+ AWS_DEFAULT_REGION)
#   AWS_ENDPOINT_URL=http://127.0.0.1:9010   (boto3 >= 1.28 and object_store's from_env read it)
#   path-style addressing (http://127.0.0.1:9010/BUCKET/KEY) and plain http allowed, e.g.
#   object_store: AmazonS3Builder::new().with_endpoint(url).with_allow_http(true)
#                   .with_virtual_hosted_style_request(false).with_region("us-east-1")...
#   eval "$(scripts/services/s3.sh env)" sets these variables for the running instance.
# Tests can wipe every bucket without a restart: curl -X POST http://127.0.0.1:9010/moto-api/reset
#
# Why a venv of its own and not .venv-ref: moto[server] brings the newest boto3/botocore, Flask and
# Werkzeug, while s3fs (which webknossos needs for s3:// paths) pins aiobotocore and through it a
# narrow botocore range; sharing one venv would make pip downgrade one side or fail, and would
# change the reference oracle's environment. .venv-s3 only serves this script; besides the repo's
# /.venv-s3 ignore rule it holds its own .gitignore of `*`, so git (status, stash -u, clean -fd)
# leaves it alone in any checkout or worktree.
#
# State: moto keeps buckets and objects in the server's memory (objects larger than its key buffer
# spill to temporary files, which go to $WK_S3_DIR/tmp), so stop/restart loses all data. The
# server is Werkzeug's threaded development server: fine for tests, not for benchmarks.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${WK_S3_DIR:-/tmp/wk-s3}"
WAIT="${WK_S3_WAIT:-30}"
VENV="${WK_S3_VENV:-$ROOT/.venv-s3}"
MOTO_REQ="${WK_S3_MOTO:-moto[server]==5.2.6}"
PIDFILE="$DIR/moto.pid"
LOGFILE="$DIR/moto.log"
PORTFILE="$DIR/port"

log() { echo "s3.sh: $*" >&2; }

default_port() {
  # Port of a running/previous instance in this dir wins over the default for stop/status/restart.
  if [[ -n "${WK_S3_PORT:-}" ]]; then echo "$WK_S3_PORT"
  elif [[ -s "$PORTFILE" ]]; then cat "$PORTFILE"
  else echo 9010; fi
}

# shellcheck source=process.sh
source "$(dirname "${BASH_SOURCE[0]}")/process.sh"

pid_alive() { pid_of "$PIDFILE" moto_server >/dev/null; }

# An anonymous GET / is ListBuckets on moto's S3; the body tells it from any other HTTP server.
s3_ok() {
  curl -s --max-time 2 "http://127.0.0.1:$1/" 2>/dev/null | grep -q ListAllMyBucketsResult
}

installed() {
  [[ -x "$VENV/bin/moto_server" ]] && "$VENV/bin/python" -c "import moto.server, flask, flask_cors, boto3" 2>/dev/null
}

cmd_install() {
  installed && return 0
  if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV" || {
      log "python3 -m venv failed; trying apt-get install python3-venv"
      export DEBIAN_FRONTEND=noninteractive
      apt-get install -y python3-venv || { apt-get update && apt-get install -y python3-venv; }
      python3 -m venv "$VENV"
    }
  fi
  # Self-ignoring venv (as virtualenv/uv do): an untracked venv in the work tree is swept up by
  # `git stash -u` / `git clean -fd` (seen happen), also where .gitignore lacks /.venv-s3.
  [[ -e "$VENV/.gitignore" ]] || echo '*' >"$VENV/.gitignore"
  "$VENV/bin/pip" install -q --disable-pip-version-check "$MOTO_REQ"
  installed || { log "moto not importable in $VENV after install"; return 1; }
}

endpoint() { echo "http://127.0.0.1:$1"; }

cmd_env() {
  local port; port="$(cat "$PORTFILE" 2>/dev/null || default_port)"
  cat <<EOF
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL=$(endpoint "$port")
export AWS_ALLOW_HTTP=true
export AWS_VIRTUAL_HOSTED_STYLE_REQUEST=false
EOF
}

cmd_start() {
  local port="${1:-$(default_port)}"
  [[ "$port" =~ ^[0-9]+$ ]] || { log "bad port: $port"; return 2; }
  installed || { log "moto not installed in $VENV (run: $0 install)"; return 1; }
  mkdir -p "$DIR/tmp"
  if pid_alive; then
    local running; running="$(cat "$PORTFILE" 2>/dev/null || echo '?')"
    if [[ "$running" == "$port" ]] && s3_ok "$port"; then
      log "already running (pid $(cat "$PIDFILE"), port $port)"; endpoint "$port"; return 0
    fi
    log "another instance is running from $DIR (pid $(cat "$PIDFILE"), port $running); stop it first"
    return 1
  fi
  rm -f "$PIDFILE"
  if s3_ok "$port" || curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
    log "port $port already answers HTTP but not from $DIR; set WK_S3_PORT/WK_S3_DIR"; return 1
  fi
  echo "$port" >"$PORTFILE"
  # setsid: own session, so a Ctrl-C/SIGHUP of the calling terminal does not reach it. Bash runs
  # background jobs of a script in its own process group, so setsid execs in place and $! is the
  # server's pid (checked through /proc/PID/comm == moto_server).
  TMPDIR="$DIR/tmp" PYTHONUNBUFFERED=1 \
    setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" </dev/null >>"$LOGFILE" 2>&1 &
  echo $! >"$PIDFILE"
  # Ready = our pid file names a live moto_server AND the port answers as S3 (a foreign server on
  # the same port could answer while ours exited on "address already in use").
  local deadline=$((SECONDS + WAIT))
  until pid_alive && s3_ok "$port"; do
    if ! pid_alive || (( SECONDS >= deadline )); then
      pid_alive && { kill -TERM "$(cat "$PIDFILE")" 2>/dev/null || true; }
      log "not ready on 127.0.0.1:$port; log tail:"; tail -n 20 "$LOGFILE" >&2 || true
      rm -f "$PIDFILE"; return 1
    fi
    sleep 0.2
  done
  log "running on $(endpoint "$port") (pid $(cat "$PIDFILE"), dir $DIR)"
  endpoint "$port"
}

cmd_stop() {
  if ! pid_alive; then
    rm -f "$PIDFILE"; log "not running"; return 0
  fi
  local pid; pid="$(cat "$PIDFILE")"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + WAIT))
  while proc_running "$pid"; do
    if (( SECONDS >= deadline )); then
      log "pid $pid still alive after ${WAIT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; break
    fi
    sleep 0.1
  done
  rm -f "$PIDFILE"
  rm -rf "$DIR/tmp"
  log "stopped (pid $pid)"
}

cmd_status() {
  local port; port="$(cat "$PORTFILE" 2>/dev/null || default_port)"
  if pid_alive && s3_ok "$port"; then
    echo "running pid=$(cat "$PIDFILE") port=$port endpoint=$(endpoint "$port") dir=$DIR"; return 0
  elif pid_alive; then
    echo "starting-or-unresponsive pid=$(cat "$PIDFILE") port=$port dir=$DIR"; return 1
  fi
  echo "stopped dir=$DIR"; return 3
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start "${2:-}" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 {install|start [port]|stop|restart [port]|status|env}" >&2; exit 2 ;;
esac
