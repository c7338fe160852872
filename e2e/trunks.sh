#!/usr/bin/env bash
# SIP trunks against sipp acting as the provider: boots the server on 127.0.0.1 (free ports,
# temp data dir, SQLite), then, while it runs, adds trunks with the CLI and checks what the
# provider saw (sipp's exit status) and what `switchboard trunk list` reports:
#   register-401     sipp registrar (e2e/sipp/trunk-registrar.xml) challenges with 401, checks
#                    the digest answer, grants 60 s; the trunk shows registered=yes
#   wrong-password   the same registrar refuses the credentials with 403; the trunk shows
#                    registered=no and the 403 as its last error
#   options-up       sipp answers OPTIONS (e2e/sipp/uas-options.xml); the trunk shows
#                    reachable=yes
# The last line is "N passed, N failed"; the exit status is non-zero when any failed.
#
# Environment:
#   SWITCHBOARD_BIN   binary to test (default: `cargo build -p switchboard`)
#   TRUNKS_SKIP       space-separated test names to skip
#   INTEROP_KEEP=1    keep the temp dir (server log, sipp traces) and print its path
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=e2e/lib.sh
source "$root/e2e/lib.sh"
while read -r var; do
  [[ $var == SWITCHBOARD_BIN || $var == SWITCHBOARD_LOG ]] || unset "$var"
done < <(compgen -e | grep '^SWITCHBOARD_' || true)
sc="$root/e2e/sipp"

for cmd in sipp python3; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "trunks: $cmd missing (run scripts/ensure-deps.sh)"; echo "0 passed, 1 failed"; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-trunks.XXXXXX")"
server_pid=""
bg_pids=()
cleanup() {
  for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
  e2e_stop "$server_pid"
  if [[ "${INTEROP_KEEP:-0}" == 1 ]]; then echo "trunks: logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

e2e_binary trunks "$root" "$work"

# shellcheck disable=SC2207
ports=($(python3 "$root/scripts/free-ports.py" 10))
sip_port="${ports[0]}"
http_port="${ports[1]}"
next_port=2
take_port() { port="${ports[$next_port]}"; next_port=$((next_port + 1)); }

cat >"$work/switchboard.toml" <<EOF2
data_dir = "$work/data"
domain = "switchboard.test"

[sip]
udp = "127.0.0.1:$sip_port"
tcp = "127.0.0.1:$sip_port"
tls = "off"

[http]
listen = "127.0.0.1:$http_port"
tls = "off"

[registrar]
qualify_interval = 3600
EOF2

sb() { "$bin" --config "$work/switchboard.toml" "$@"; }

env -u SWITCHBOARD_BIN "$bin" serve --config "$work/switchboard.toml" >"$work/server.log" 2>&1 &
server_pid=$!
ready=0
for _ in $(seq 1 150); do
  kill -0 "$server_pid" 2>/dev/null || break
  if (exec 3<>"/dev/tcp/127.0.0.1/$sip_port") 2>/dev/null; then ready=1; break; fi
  sleep 0.2
done
if [[ $ready != 1 ]]; then
  echo "trunks: server did not start; its output:"
  tail -30 "$work/server.log"
  echo "0 passed, 1 failed"
  exit 1
fi

# --- helpers ---------------------------------------------------------------------------
common=(-i 127.0.0.1 -nostdin -timeout 40s -timeout_error)
traces() { # log-prefix
  echo -trace_err -error_file "$1.errors" -trace_msg -message_file "$1.msgs" -trace_logs -log_file "$1.log"
}
# A sipp provider in the background on a fresh port (left in $port); sets $provider_pid.
provider() { # test scenario [extra sipp args...]
  local t="$1" s="$2"
  shift 2
  take_port
  # shellcheck disable=SC2046
  timeout 60 sipp -sf "$sc/$s.xml" -p "$port" "${common[@]}" $(traces "$work/$t-provider") "$@" \
    >"$work/$t-provider.out" 2>&1 &
  provider_pid=$!
  bg_pids+=("$provider_pid")
  sleep 0.3 # let it bind its port before the first request comes
}
cli() { # any switchboard CLI command; a failure fails the test
  if ! sb "$@" >>"$work/cli.log" 2>&1; then
    fail "'switchboard $*' failed: $(tail -1 "$work/cli.log")"
    return 1
  fi
}
# Polls `trunk list` until TRUNK's line contains TEXT (10 s); the line is left in $line.
listed() { # trunk text
  line=""
  for _ in $(seq 1 50); do
    line="$(sb trunk list 2>>"$work/cli.log" | grep "^$1	" || true)"
    [[ "$line" == *"$2"* ]] && return 0
    sleep 0.2
  done
  fail "trunk list never showed '$2' for $1: ${line:-no line}"
  return 1
}

problems=()
fail() { problems+=("$*"); }

# --- the tests -------------------------------------------------------------------------
t_register_401() {
  provider register-401 trunk-registrar -m 1
  local pid=$provider_pid
  cli trunk add prov --host "127.0.0.1:$port" --register --username acme-user \
    --password trunk-secret-9 --expires 120 --options-interval 0 || return
  wait "$pid"
  local rc=$?
  [[ $rc == 0 ]] || fail "sipp registrar: exit $rc (challenge answered wrongly?)"
  listed prov "registered=yes expires-in=" && note="${line##*	}"
}

t_wrong_password() {
  provider wrong-password trunk-registrar -m 1
  local pid=$provider_pid
  cli trunk add wrongpw --host "127.0.0.1:$port" --register --username acme-user \
    --password not-the-secret --expires 120 --options-interval 0 || return
  wait "$pid"
  local rc=$?
  [[ $rc != 0 ]] || fail "sipp registrar accepted a wrong password"
  listed wrongpw 'registered=no last-error="registration: 403 Forbidden"'
}

t_options_up() {
  provider options-up uas-options -m 2
  local pid=$provider_pid
  cli trunk add ipauth --host "127.0.0.1:$port" --allow 127.0.0.1 --options-interval 1 || return
  listed ipauth "reachable=yes" && note="${line##*	}"
  wait "$pid"
  local rc=$?
  [[ $rc == 0 ]] || fail "sipp OPTIONS answerer: exit $rc"
}

tests=(register-401 wrong-password options-up)
e2e_run_tests "${TRUNKS_SKIP:-}"
e2e_summary trunks
