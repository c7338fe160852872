#!/usr/bin/env bash
# Interop with real SIP peers: boots Switchboard on 127.0.0.1 (free ports, temp data dir,
# SQLite), adds extensions through the CLI, then runs the sipp scenarios of e2e/sipp/ over
# UDP and over TCP and checks each exit code; then JsSIP (e2e/jssip/, the softphone's SIP
# stack, in Node) registers, fails with a wrong password and unregisters over ws:// against a
# second server that keeps the default digest order (see "JsSIP" below).
# The last line is "N passed, N failed"; the exit status is non-zero when any failed.
#
# Environment:
#   SWITCHBOARD_BIN        binary to test (default: `cargo build -p switchboard`, target/debug)
#   INTEROP_SKIP           space-separated test names to skip, e.g. "udp/qualify ws/jssip-unregister"
#   INTEROP_KEEP=1         keep the temp dir (logs, sipp message traces) and print its path
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=e2e/lib.sh
source "$root/e2e/lib.sh"
# The server reads SWITCHBOARD_<SECTION>_<KEY> overrides: drop any from the caller's
# environment so the config file written below is what runs.
while read -r var; do
  [[ $var == SWITCHBOARD_BIN || $var == SWITCHBOARD_LOG ]] || unset "$var"
done < <(compgen -e | grep '^SWITCHBOARD_' || true)
scenarios="$root/e2e/sipp"
domain="switchboard.test"

for cmd in sipp python3; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "interop: $cmd missing (run scripts/ensure-deps.sh)"; echo "0 passed, 1 failed"; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-interop.XXXXXX")"
server_pid="" ws_server_pid=""
stop_server() { e2e_stop "$1"; }
cleanup() {
  stop_server "$server_pid"
  stop_server "$ws_server_pid"
  if [[ "${INTEROP_KEEP:-0}" == 1 ]]; then echo "interop: logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

e2e_binary interop "$root" "$work"

# Ports free for both UDP and TCP on 127.0.0.1, chosen by the kernel. The first is the
# server's SIP port (UDP and TCP, as 5060 is in production), the second its HTTP port, the
# rest go to sipp, one per run.
# shellcheck disable=SC2207
ports=($(python3 "$root/scripts/free-ports.py" 40))
sip_port="${ports[0]}"
http_port="${ports[1]}"
next_port=2
take_port() { port="${ports[$next_port]}"; next_port=$((next_port + 1)); }

qualify_interval=2
write_config() { # $1: extra [registrar] lines
  cat >"$work/switchboard.toml" <<EOF
data_dir = "$work/data"
domain = "$domain"

[sip]
udp = "127.0.0.1:$sip_port"
tcp = "127.0.0.1:$sip_port"
tls = "off"

[http]
listen = "127.0.0.1:$http_port"
tls = "off"

[registrar]
qualify_interval = $qualify_interval
$1
EOF
}

# sipp 3.6 answers only the FIRST WWW-Authenticate header and knows only MD5: with the
# SHA-256 challenge first it gives up ("authentication must use MD5"). Ask the server to put
# MD5 first when the binary knows the key; otherwise go on and say why the tests fail.
md5_first="digest_sha256_first = false"
write_config "$md5_first"
if ! "$bin" --config "$work/switchboard.toml" extension list >"$work/probe.log" 2>&1; then
  if grep -q digest_sha256_first "$work/probe.log"; then
    echo "interop: this build has no registrar.digest_sha256_first; sipp needs the MD5 challenge first"
    md5_first=""
    write_config ""
  fi
fi

sb() { "$bin" --config "$work/switchboard.toml" "$@"; }

# One extension per (transport, scenario), so that bindings left by one scenario never show
# up in another's checks.
tests=()
add_test() { # name transport scenario user count
  tests+=("$1 $2 $3 $4 $5")
  sb extension add "$4" --password "pw-$4" --name "interop $4" >>"$work/cli.log" 2>&1 ||
    { echo "interop: 'extension add $4' failed:"; tail -5 "$work/cli.log"; echo "0 passed, 1 failed"; exit 1; }
}
n=0
for transport in udp tcp; do
  base=$([[ $transport == udp ]] && echo 2000 || echo 2100)
  for s in options register reregister unregister wrong-password; do
    n=$((n + 1))
    add_test "$transport/$s" "$transport" "$s" "$((base + n))" 3
  done
done
add_test "udp/qualify" udp qualify 2099 1

# JsSIP 3.13 keeps only the LAST WWW-Authenticate header of a 401 (its parser stores each one
# over the previous) and computes only MD5: it registers when the server lists SHA-256 then
# MD5, the default, and fails ("Authentication Error", no credentials sent) when MD5 comes
# first as sipp needs it above. So JsSIP gets a server of its own with the default order and
# no SIP listener (it speaks only WebSocket), its own data dir and extension.
jssip_dir="$root/e2e/jssip"
jssip_steps=(register wrong-password unregister)
jssip_user=3001
take_port
ws_http_port="$port"
jssip_wanted=0
for step in "${jssip_steps[@]}"; do
  [[ " ${INTEROP_SKIP:-} " == *" ws/jssip-$step "* ]] || jssip_wanted=1
done
if ((jssip_wanted)); then
  cat >"$work/ws.toml" <<EOF
data_dir = "$work/ws-data"
domain = "$domain"

[sip]
udp = "off"
tcp = "off"
tls = "off"

[http]
listen = "127.0.0.1:$ws_http_port"
tls = "off"
EOF
  "$bin" --config "$work/ws.toml" extension add "$jssip_user" --password "pw-$jssip_user" \
    --name "interop jssip" >>"$work/cli.log" 2>&1 ||
    { echo "interop: 'extension add $jssip_user' (ws server) failed:"; tail -5 "$work/cli.log"; echo "0 passed, 1 failed"; exit 1; }
  env -u SWITCHBOARD_BIN "$bin" serve --config "$work/ws.toml" >"$work/ws-server.log" 2>&1 &
  ws_server_pid=$!
fi

env -u SWITCHBOARD_BIN "$bin" serve --config "$work/switchboard.toml" >"$work/server.log" 2>&1 &
server_pid=$!

# Ready when the TCP port accepts: for the main server its SIP TCP listener (the UDP one is
# bound in the same start-up), for JsSIP's its HTTP listener.
wait_ready() { # pid port
  for _ in $(seq 1 150); do
    kill -0 "$1" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  return 1
}
ready=0
wait_ready "$server_pid" "$sip_port" && ready=1
if [[ $ready != 1 ]]; then
  echo "interop: server did not start; its output:"
  tail -30 "$work/server.log"
  echo "0 passed, 1 failed"
  exit 1
fi
sed 's/^/  server: /' "$work/server.log" | head -20

passed=0 failed=0 skipped=0
# -oocsf: the server's keepalive OPTIONS (qualify) that reach a UAC run get a 200 like a phone's.
sipp_run() { # name transport scenario user count [extra sipp args...]
  local name="$1" transport="$2" scenario="$3" user="$4" count="$5"
  shift 5
  local log="$work/${name//\//-}"
  local t=u1
  [[ $transport == tcp ]] && t=t1
  take_port
  timeout 60 sipp -sf "$scenarios/$scenario.xml" -t "$t" \
    -key domain "$domain" -auth_uri "$domain" -s "$user" -au "$user" -ap "pw-$user" \
    -i 127.0.0.1 -p "$port" -m "$count" -l 1 -r 10 \
    -recv_timeout 5000 -timeout 45s -timeout_error -nostdin \
    -oocsf "$scenarios/uas-options.xml" \
    -trace_err -error_file "$log.errors" -trace_msg -message_file "$log.msgs" \
    "$@" "127.0.0.1:$sip_port" >"$log.out" 2>&1
}

# The server keeps a UDP binding alive with OPTIONS every qualify_interval: register from a
# port, then answer the OPTIONS that arrive there with the UAS scenario.
qualify_test() { # name transport scenario user count
  sipp_run "$1-register" udp register "$4" 1 || return 1
  local log="$work/${1//\//-}"
  timeout 30 sipp -sf "$scenarios/uas-options.xml" -t u1 -i 127.0.0.1 -p "$port" -m "$5" \
    -timeout "$((qualify_interval * 3 + 5))s" -timeout_error -nostdin \
    -trace_err -error_file "$log.errors" -trace_msg -message_file "$log.msgs" >"$log.out" 2>&1
}

for entry in "${tests[@]}"; do
  read -r name transport scenario user count <<<"$entry"
  if [[ " ${INTEROP_SKIP:-} " == *" $name "* ]]; then
    echo "skip  $name"
    skipped=$((skipped + 1))
    continue
  fi
  started=$(date +%s.%N)
  if [[ $scenario == qualify ]]; then
    qualify_test "$name" "$transport" "$scenario" "$user" "$count"
  else
    sipp_run "$name" "$transport" "$scenario" "$user" "$count"
  fi
  rc=$?
  took=$(python3 -c "print(f'{$(date +%s.%N) - $started:.2f}')")
  if [[ $rc == 0 ]]; then
    echo "ok    $name (${took}s)"
    passed=$((passed + 1))
  else
    echo "FAIL  $name (sipp exit $rc, ${took}s)"
    failed=$((failed + 1))
    for f in "$work/${name//\//-}"*.errors; do
      [[ -s "$f" ]] && awk '{ print "    | " $0 }' "$f" | tail -25
    done
    if grep -qs "must use MD5" "$work/${name//\//-}"*.errors; then
      echo "    (sipp took the first WWW-Authenticate, SHA-256: the server must offer MD5 first for sipp)"
    fi
  fi
done

# JsSIP over ws://: one run of e2e/jssip/register.mjs prints a line a step, "ok    STEP
# (0.05s): ..." or "FAIL  STEP (0.05s): ...", each counted as the check ws/jssip-STEP.
jssip_failed=0
if ((jssip_wanted)); then
  out="$work/ws-jssip.out"
  why="" rc=""
  if ! command -v node >/dev/null 2>&1 || [[ ! -d "$jssip_dir/node_modules/jssip" ]]; then
    why="node or e2e/jssip/node_modules missing: run scripts/ensure-deps.sh"
  elif ! wait_ready "$ws_server_pid" "$ws_http_port"; then
    why="its server did not start"
    tail -20 "$work/ws-server.log" | sed 's/^/  ws server: /'
  else
    timeout 30 node "$jssip_dir/register.mjs" --url "ws://127.0.0.1:$ws_http_port/sip" \
      --user "$jssip_user" --password "pw-$jssip_user" --domain "$domain" >"$out" 2>&1
    rc=$?
  fi
  for step in "${jssip_steps[@]}"; do
    name="ws/jssip-$step"
    if [[ " ${INTEROP_SKIP:-} " == *" $name "* ]]; then
      echo "skip  $name"
      skipped=$((skipped + 1))
      continue
    fi
    line="$(grep -E "^(ok|FAIL) +$step \(" "$out" 2>/dev/null | head -1)"
    if [[ -n "$why" ]]; then
      echo "FAIL  $name ($why)"
    elif [[ $line =~ ^ok\ +[a-z-]+\ \(([0-9.]+s)\) ]]; then
      echo "ok    $name (${BASH_REMATCH[1]})"
      passed=$((passed + 1))
      continue
    elif [[ $line =~ ^FAIL\ +[a-z-]+\ \(([0-9.]+s)\):\ (.*)$ ]]; then
      echo "FAIL  $name (${BASH_REMATCH[1]})"
      echo "    ${BASH_REMATCH[2]}"
    else
      echo "FAIL  $name (no line from register.mjs, exit $rc)"
    fi
    failed=$((failed + 1))
    jssip_failed=1
  done
  if ((jssip_failed)) && [[ -s "$out" ]]; then
    awk '{ print "    | " $0 }' "$out" | tail -60
  fi
else
  for step in "${jssip_steps[@]}"; do
    echo "skip  ws/jssip-$step"
    skipped=$((skipped + 1))
  done
fi

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "interop: the server died during the run; its last output:"
  tail -20 "$work/server.log"
  failed=$((failed + 1))
elif ((failed)); then
  echo "interop: server output (last 20 lines):"
  tail -20 "$work/server.log" | sed 's/^/  server: /'
fi
if [[ -n "$ws_server_pid" ]] && ! kill -0 "$ws_server_pid" 2>/dev/null; then
  echo "interop: JsSIP's server died during the run; its last output:"
  tail -20 "$work/ws-server.log"
  failed=$((failed + 1))
elif ((jssip_failed)); then
  echo "interop: JsSIP's server output (last 20 lines):"
  tail -20 "$work/ws-server.log" | sed 's/^/  ws server: /'
fi

if ((skipped)); then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
((failed == 0))
