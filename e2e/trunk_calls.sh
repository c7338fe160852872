#!/usr/bin/env bash
# Calls through SIP trunks with sipp as the provider: boots the server on 127.0.0.1 (free
# ports, temp data dir, SQLite, MD5 digest for sipp), sets up trunks, DIDs and routes with
# the CLI, and checks:
#   outbound-failover  extension 1101 (sipp, e2e/sipp/call-caller.xml) dials 12125550199;
#                      the route's first trunk (sipp on 127.0.0.2, trunk-uas-503.xml) answers
#                      503, the second (sipp on 127.0.0.3, call-callee-answer.xml) answers;
#                      RTP reaches the provider
#   inbound-did        the provider (127.0.0.4, IP-authenticated) calls the DID +12125550100
#                      without credentials (bench-call-uac-noauth.xml); extension 1201 (a
#                      registered sipp callee) answers
#   stranger-refused   the same INVITE from 127.0.0.5 is challenged 407 like any stranger's
#                      (trunk-did-refused.xml) and nothing rings
#   baresip-did        a baresip provider on 127.0.0.6 (IP-authenticated trunk) calls the DID
#                      +12125550111; extension 1301, a baresip phone registered with the
#                      server, answers; each hears the other's tone (e2e/baresip/call.sh
#                      --trunk, Goertzel on what each decoded)
#   baresip-srtp-out   a trunk that requires SRTP (--srtp require, IP-authenticated) to a
#                      baresip provider on 127.0.0.7 (srtp module, mediaenc=srtp-mand,
#                      auto-answer); extension 1401, a plain baresip phone, dials 12125550188,
#                      routed to it: the provider's INVITE is for +12125550188 with RTP/SAVP
#                      and a=crypto, SRTP is enabled there, each side hears the other's tone
#                      (call.sh --trunk-out) and the call record says answered
#   baresip-srtp-did   that provider calls the DID +12125550112 with an RTP/SAVP offer;
#                      extension 1402 (plain RTP) answers; tones both ways, the record says
#                      answered; then a plain RTP/AVP offer from the same address to the same
#                      DID is refused 488 (trunk-did-plain-refused.xml), recorded with cause 488
# The last line is "N passed, N failed"; the exit status is non-zero when any failed.
#
# Environment:
#   SWITCHBOARD_BIN   binary to test (default: `cargo build -p switchboard`)
#   TRUNK_CALLS_SKIP  space-separated test names to skip
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
  command -v "$cmd" >/dev/null 2>&1 || { echo "trunk_calls: $cmd missing (run scripts/ensure-deps.sh)"; echo "0 passed, 1 failed"; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-trunk-calls.XXXXXX")"
server_pid=""
bg_pids=()
cleanup() {
  for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
  e2e_stop "$server_pid"
  if [[ "${INTEROP_KEEP:-0}" == 1 ]]; then echo "trunk_calls: logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

e2e_binary trunk_calls "$root" "$work"

# shellcheck disable=SC2207
# Each with the three after it free for UDP (sipp's -mp binds four ports there).
ports=($(python3 "$root/scripts/free-ports.py" 40 --udp-span=4))
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
digest_sha256_first = false
digest_sha256 = false

[media]
rtp_ports = "21000-21199"
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
  echo "trunk_calls: server did not start; its output:"
  tail -30 "$work/server.log"
  echo "0 passed, 1 failed"
  exit 1
fi

# --- helpers ---------------------------------------------------------------------------
domain="switchboard.test"
traces() { # log-prefix
  echo -trace_err -error_file "$1.errors" -trace_msg -message_file "$1.msgs" -trace_logs -log_file "$1.log"
}
opts() { # ip
  echo -i "$1" -m 1 -nostdin -timeout 40s -timeout_error -key domain "$domain"
}
# A sipp in the background: ip test-name scenario [extra sipp args...]; sets $bg_pid.
bg() {
  local ip="$1" t="$2" s="$3"
  shift 3
  take_port
  local p=$port
  take_port
  # shellcheck disable=SC2046
  timeout 60 sipp -sf "$sc/$s.xml" -p "$p" -mp "$port" $(opts "$ip") $(traces "$work/$t") "$@" \
    >"$work/$t.out" 2>&1 &
  bg_pid=$!
  bg_pids+=("$bg_pid")
  bg_port=$p
  sleep 0.3 # let it bind its port before the first request comes
}
# A sipp in the foreground: ip test-name scenario [extra sipp args...] (target included).
fg() {
  local ip="$1" t="$2" s="$3"
  shift 3
  take_port
  local p=$port
  take_port
  # shellcheck disable=SC2046
  timeout 60 sipp -sf "$sc/$s.xml" -p "$p" -mp "$port" $(opts "$ip") $(traces "$work/$t") "$@" \
    >"$work/$t.out" 2>&1
}
cli() { # any switchboard CLI command; a failure fails the test
  if ! sb "$@" >>"$work/cli.log" 2>&1; then
    fail "'switchboard $*' failed: $(tail -1 "$work/cli.log")"
    return 1
  fi
}
waitfor() { # pid what
  wait "$1"
  local rc=$?
  [[ $rc == 0 ]] || fail "$2: sipp exit $rc"
}
counter() { # port file: counts UDP packets at 127.0.0.3:port (the provider's RTP)
  python3 "$root/e2e/udp-count.py" "$1" "$2" 127.0.0.3 &
  bg_pids+=($!)
}

cdr() { e2e_cdr "$@"; } # the call's record checked (lib.sh)
have_baresip() {
  command -v baresip >/dev/null 2>&1 && return 0
  fail "baresip missing (scripts/ensure-deps.sh installs it)"
  return 1
}

# The trunk that requires SDES-SRTP: IP-authenticated, its provider a baresip on 127.0.0.7
# (an address of its own, so only that provider's INVITEs are this trunk's) listening on
# $srtp_provider_port. Added by the first test that needs it. No OPTIONS health checks: the
# provider runs only during a call, and unanswered checks would mark the trunk down.
take_port
srtp_provider_port=$port
srtp_trunk_added=0
srtp_trunk() {
  ((srtp_trunk_added)) && return 0
  cli trunk add srtp-carrier --host "127.0.0.7:$srtp_provider_port" --allow 127.0.0.7/32 \
    --srtp require --codecs PCMU,PCMA --options-interval 0 || return 1
  srtp_trunk_added=1
}
# e2e/baresip/call.sh with the options given; its last line is the note (or the failure).
baresip_call() { # workdir [call.sh options...]
  local dir="$1"
  shift
  if ! "$root/e2e/baresip/call.sh" --domain "$domain" "$@" "$dir" >"$dir.out" 2>&1; then
    fail "$(tail -1 "$dir.out")"
    sed 's/^/      /' "$dir.out" | tail -40 >"$work/t.extra"
    return 1
  fi
  note="$(tail -1 "$dir.out")"
  note="${note#ok: }"
}

# CLI changes reach the running server through two copies, each refreshed when a second
# old: the store's copy of the tables, and the snapshot of trunk sources taken from it
# (calls/trunk_sources.rs). A trunk, DID or route added now counts for calls within 2 s.
settle() { sleep 2.2; }

problems=()
fail() { problems+=("$*"); }
sb extension add 1101 --password pw-1101 >>"$work/cli.log" 2>&1
sb extension add 1201 --password pw-1201 >>"$work/cli.log" 2>&1

# --- the tests -------------------------------------------------------------------------
t_outbound_failover() {
  bg 127.0.0.2 outbound-failover-dead trunk-uas-503
  local dead=$bg_pid dead_port=$bg_port
  take_port
  local rtp=$port
  counter "$rtp" "$work/outbound.rtp"
  bg 127.0.0.3 outbound-failover-good call-callee-answer -key rtp_port "$rtp"
  local good=$bg_pid good_port=$bg_port
  # no OPTIONS health checks: these sipp providers take one INVITE and nothing else
  cli trunk add dead --host "127.0.0.2:$dead_port" --codecs PCMA,PCMU --options-interval 0 || return
  cli trunk add good --host "127.0.0.3:$good_port" --codecs PCMA,PCMU --caller-id +12125550100 \
    --options-interval 0 || return
  cli route add '_1NXXNXXXXXX' --trunks dead,good --prepend + || return
  settle
  fg 127.0.0.1 outbound-failover-caller call-caller -s 12125550199 -key caller 1101 -au 1101 \
    -ap pw-1101 -d 3000 "127.0.0.1:$sip_port"
  local rc=$?
  [[ $rc == 0 ]] || fail "caller 1101: sipp exit $rc"
  waitfor "$dead" "provider answering 503"
  waitfor "$good" "provider answering the call"
  grep -q "INVITE sip:+12125550199@127.0.0.3" "$work/outbound-failover-good.msgs" ||
    fail "the provider did not get sip:+12125550199"
  sleep 0.6 # the counter writes its file every 0.5 s when idle
  local got
  got=$(cut -d' ' -f1 "$work/outbound.rtp" 2>/dev/null)
  ((${got:-0} >= 20)) || fail "RTP at the provider: ${got:-0} packets (want >= 20)"
  note="rtp at provider ${got:-0}"
}

t_inbound_did() {
  take_port
  local reg=$port
  # shellcheck disable=SC2046
  timeout 30 sipp -sf "$sc/register.xml" -key domain "$domain" -auth_uri "$domain" -s 1201 \
    -au 1201 -ap pw-1201 -p "$reg" $(opts 127.0.0.1) $(traces "$work/inbound-did-register") \
    "127.0.0.1:$sip_port" >"$work/inbound-did-register.out" 2>&1 || { fail "REGISTER 1201"; return; }
  take_port
  local rtp=$port
  take_port
  # shellcheck disable=SC2046
  timeout 60 sipp -sf "$sc/call-callee-answer.xml" -key rtp_port "$rtp" -p "$reg" -mp "$port" \
    $(opts 127.0.0.1) $(traces "$work/inbound-did-callee") >"$work/inbound-did-callee.out" 2>&1 &
  local callee=$!
  bg_pids+=("$callee")
  sleep 0.3
  cli trunk add carrier --host 127.0.0.4 --allow 127.0.0.4/32 || return
  cli did add +12125550100 --trunk carrier --to 1201 || return
  settle
  fg 127.0.0.4 inbound-did-caller bench-call-uac-noauth -s 2125550100 -key caller +13125559999 \
    -d 2000 "127.0.0.1:$sip_port"
  local rc=$?
  [[ $rc == 0 ]] || fail "provider calling the DID: sipp exit $rc"
  waitfor "$callee" "extension 1201 answering"
}

t_stranger_refused() {
  fg 127.0.0.5 stranger-refused-caller trunk-did-refused -s 2125550100 -key caller +13125559999 \
    "127.0.0.1:$sip_port"
  local rc=$?
  [[ $rc == 0 ]] || fail "the stranger was not answered 407: sipp exit $rc"
}

t_baresip_did() {
  have_baresip || return
  cli extension add 1301 --password pw-1301 || return
  cli trunk add baresip-carrier --host 127.0.0.6 --allow 127.0.0.6/32 || return
  cli did add +12125550111 --trunk baresip-carrier --to 1301 || return
  settle
  baresip_call "$work/baresip-did" --trunk "127.0.0.1:$sip_port" --did 2125550111 \
    --callee 1301:pw-1301 --caller-ip 127.0.0.6 --rtp 26000
}

# SRTP toward the trunk: the server offers the provider RTP/SAVP with its key and bridges it
# to the extension's plain RTP.
t_baresip_srtp_out() {
  have_baresip || return
  srtp_trunk || return
  cli extension add 1401 --password pw-1401 || return
  # an exact number, ahead of any pattern route (outbound-failover's matches it too)
  cli route add 12125550188 --trunks srtp-carrier --prepend + --position 1 || return
  settle
  local dir="$work/baresip-srtp-out"
  baresip_call "$dir" --trunk-out "127.0.0.1:$sip_port" --caller 1401:pw-1401 --dial 12125550188 \
    --callee-number +12125550188 --callee-ip 127.0.0.7 --callee-port "$srtp_provider_port" \
    --rtp 26400 --srtp srtp-mand --srtp-side callee || return
  grep -aq "^INVITE sip:+12125550188@127.0.0.7:$srtp_provider_port" "$dir/callee.log" ||
    fail "the provider got no INVITE for sip:+12125550188@127.0.0.7:$srtp_provider_port"
  cdr --caller 1401 --dialed 12125550188 --disposition answered --min-a-in 100 --min-b-out 100 \
    >"$work/t.cdr" || fail "$(cat "$work/t.cdr")"
}

# SRTP from the trunk: an RTP/SAVP offer answered with the server's key, bridged to the
# extension's plain RTP; a plain offer breaks the trunk's policy.
t_baresip_srtp_did() {
  have_baresip || return
  srtp_trunk || return
  cli extension add 1402 --password pw-1402 || return
  cli did add +12125550112 --trunk srtp-carrier --to 1402 || return
  settle
  baresip_call "$work/baresip-srtp-did" --trunk "127.0.0.1:$sip_port" --did 2125550112 \
    --callee 1402:pw-1402 --caller-ip 127.0.0.7 --caller-number +13125550007 --rtp 26800 \
    --srtp srtp-mand --srtp-side caller || return
  cdr --caller +13125550007 --dialed 2125550112 --callee 1402 --disposition answered \
    --min-a-in 100 --min-b-out 100 >"$work/t.cdr" || fail "$(cat "$work/t.cdr")"
  fg 127.0.0.7 baresip-srtp-did-plain trunk-did-plain-refused -s 2125550112 \
    -key caller +13125550008 "127.0.0.1:$sip_port"
  local rc=$?
  [[ $rc == 0 ]] || fail "a plain RTP/AVP offer from the provider was not refused 488: sipp exit $rc"
  cdr --caller +13125550008 --dialed 2125550112 --cause 488 >"$work/t.cdr" ||
    fail "$(cat "$work/t.cdr")"
  note="$note; plain offer refused 488"
}

tests=(outbound-failover inbound-did stranger-refused baresip-did baresip-srtp-out baresip-srtp-did)
e2e_run_tests "${TRUNK_CALLS_SKIP:-}"
e2e_summary trunk_calls
