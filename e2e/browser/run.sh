#!/usr/bin/env bash
# Browser end-to-end calls: real Chromium browsers (Debian /usr/bin/chromium, fake microphones
# playing tone WAVs) and baresip make real calls through a real Switchboard server, and out
# through a trunk to sipp playing the provider (its RTP captured with tcpdump), driven by
# Playwright (e2e/browser/specs/). Every packet stays on loopback: the server, the browsers,
# baresip and sipp run inside a network namespace of their own with only `lo` up (needs root).
#
# Steps: `npm ci` here when node_modules is missing or older than package-lock.json; the
# binary ($SWITCHBOARD_BIN, else <target>/debug/switchboard, built with `cargo build -p
# switchboard` when missing); the namespace; a config on free ports with a temp data dir
# (SQLite) and both portal listeners, HTTP and HTTPS (with the self-signed certificate the
# server makes on first start); the admin account made with the CLI (`switchboard user add
# admin --admin --password ...`) before the server starts; the server inside the namespace;
# then `playwright test` inside it. Screenshots, Playwright's report (results.json), baresip's
# files and the server log end up in e2e/browser/artifacts/. One line a test, then the last
# line "N passed, N failed"; the exit status is non-zero when anything failed.
#
#   e2e/browser/run.sh [playwright test options, e.g. --grep baresip]
#
# Environment:
#   SWITCHBOARD_BIN   binary to test (default: <cargo target dir>/debug/switchboard)
#   CHROMIUM_BIN      the browser (default /usr/bin/chromium)
#   E2E_KEEP=1        keep the temp dir (config, data, logs) and print its path
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=e2e/lib.sh
source "$root/e2e/lib.sh"
while read -r var; do
  [[ $var == SWITCHBOARD_BIN || $var == SWITCHBOARD_LOG ]] || unset "$var"
done < <(compgen -e | grep '^SWITCHBOARD_' || true)
domain="switchboard.test"
artifacts="$here/artifacts"
chromium="${CHROMIUM_BIN:-/usr/bin/chromium}"

setup_fail() { # the run cannot start: say why and end with the summary line
  echo "browser: $*"
  echo "0 passed, 1 failed"
  exit 1
}

[[ $(id -u) == 0 ]] || setup_fail "needs root for the network namespace (ip netns)"
for cmd in ip node npm python3 baresip sipp tcpdump ss; do
  command -v "$cmd" >/dev/null 2>&1 || setup_fail "$cmd missing (scripts/ensure-deps.sh installs what the tests need)"
done
[[ -x "$chromium" ]] || setup_fail "no browser at $chromium (apt-get install -y --no-install-recommends chromium)"

work="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-browser.XXXXXX")"
ns="sb-e2e-$$"
ns_made=0
server_pid=""
cleanup() {
  e2e_stop "$server_pid"
  if ((ns_made)); then
    # whatever is still running in the namespace was started by this run (a browser left
    # behind by a killed test): stop it, then drop the namespace
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns delete "$ns" 2>/dev/null
  fi
  if [[ "${E2E_KEEP:-0}" == 1 ]]; then echo "browser: temp dir kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# --- node packages (outside the namespace: the registry is not on loopback) -------------
lock_sum="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
stamp="$here/node_modules/.switchboard-lock.sha256"
if [[ ! -d "$here/node_modules" || "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]]; then
  echo "browser: npm ci (node_modules missing or not from this package-lock.json)"
  if ! (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund) >"$work/npm.log" 2>&1; then
    tail -20 "$work/npm.log"
    setup_fail "npm ci failed"
  fi
  echo "$lock_sum" >"$stamp"
fi

# --- the binary ------------------------------------------------------------------------
bin="${SWITCHBOARD_BIN:-}"
if [[ -z "$bin" ]]; then
  target_dir="${CARGO_TARGET_DIR:-}"
  if [[ -z "$target_dir" ]]; then
    target_dir="$(cd "$root" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null)"
  fi
  bin="${target_dir:-$root/target}/debug/switchboard"
  if [[ ! -x "$bin" ]]; then
    echo "browser: no binary at $bin: cargo build -p switchboard"
    if ! (cd "$root" && cargo build -p switchboard) >"$work/build.log" 2>&1; then
      tail -40 "$work/build.log"
      setup_fail "build failed"
    fi
  fi
fi
[[ -x "$bin" ]] || setup_fail "no binary at $bin"
# The portal embeds static/softphone.js when it is compiled: an older binary serves an older phone.
if [[ -f "$root/static/softphone.js" && "$root/static/softphone.js" -nt "$bin" ]]; then
  echo "browser: warning: static/softphone.js is newer than $bin (rebuild to test the current bundle)"
fi

# --- namespace, config, admin, server ---------------------------------------------------
ip netns add "$ns" || setup_fail "ip netns add $ns failed"
ns_made=1
ip netns exec "$ns" ip link set lo up || setup_fail "cannot bring lo up in $ns"
in_ns() { ip netns exec "$ns" "$@"; }

# shellcheck disable=SC2207
ports=($(in_ns python3 "$root/scripts/free-ports.py" 3))
((${#ports[@]} == 3)) || setup_fail "no free ports in the namespace"
sip_port="${ports[0]}"
http_port="${ports[1]}"
https_port="${ports[2]}"
secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(18))'; }
admin_password="$(secret)"
user_password="$(secret)"

# digest_sha256 = false: baresip 1.0 (libre) refuses a challenge set that names SHA-256, as
# real desk phones of its age do; JsSIP (the softphone) answers the single MD5 challenge.
cat >"$work/switchboard.toml" <<EOF
data_dir = "$work/data"
domain = "$domain"

[sip]
udp = "127.0.0.1:$sip_port"
tcp = "127.0.0.1:$sip_port"
tls = "off"

[http]
listen = "127.0.0.1:$http_port"
# HTTPS and wss://…/sip with the self-signed certificate the server makes on first start
# (under data_dir/tls/): the softphone over WSS is tested there.
tls = "127.0.0.1:$https_port"

[registrar]
digest_sha256 = false

[media]
rtp_ports = "20000-20999"
EOF

# --password=VALUE, not --password VALUE: a random password may start with '-', which the CLI
# would otherwise take for an option (1 run in 64 failed that way).
if ! "$bin" --config "$work/switchboard.toml" user add admin --admin --password="$admin_password" \
  >"$work/cli.log" 2>&1; then
  sed 's/^/    | /' "$work/cli.log" | tail -5
  setup_fail "'switchboard user add admin --admin --password ...' failed (output above)"
fi

in_ns env -u SWITCHBOARD_BIN "$bin" serve --config "$work/switchboard.toml" >"$work/server.log" 2>&1 &
server_pid=$!
ready=0
for _ in $(seq 1 150); do
  kill -0 "$server_pid" 2>/dev/null || break
  if in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$http_port && exec 4<>/dev/tcp/127.0.0.1/$sip_port && exec 5<>/dev/tcp/127.0.0.1/$https_port" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.2
done
if ((!ready)); then
  tail -30 "$work/server.log"
  setup_fail "the server did not start (its output above)"
fi

# --- the suite --------------------------------------------------------------------------
rm -rf "$artifacts"
mkdir -p "$artifacts"
echo "browser: server $bin on http://127.0.0.1:$http_port and https://127.0.0.1:$https_port, SIP 127.0.0.1:$sip_port, in namespace $ns"
(
  cd "$here" &&
    in_ns env SB_BASE_URL="http://127.0.0.1:$http_port" SB_HTTPS_URL="https://127.0.0.1:$https_port" SB_ADMIN_USER=admin \
      SB_ADMIN_PASSWORD="$admin_password" SB_USER_PASSWORD="$user_password" \
      SB_SIP_ADDR="127.0.0.1:$sip_port" SB_DOMAIN="$domain" SB_WORK="$work" \
      CHROMIUM_BIN="$chromium" "$here/node_modules/.bin/playwright" test "$@"
)
echo
node "$here/summary.mjs" "$artifacts/results.json" "$work/counts"
read -r passed failed skipped <"$work/counts" 2>/dev/null || { passed=0 failed=1 skipped=0; }

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "browser: the server died during the run; its last output:"
  tail -20 "$work/server.log" | sed 's/^/  server: /'
  failed=$((failed + 1))
elif ((failed)); then
  echo "browser: server output (last 20 lines; all of it in artifacts/server.log):"
  tail -20 "$work/server.log" | sed 's/^/  server: /'
fi
e2e_stop "$server_pid"
server_pid=""
cp "$work/server.log" "$artifacts/server.log" 2>/dev/null
if ((skipped)); then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
((failed == 0))
