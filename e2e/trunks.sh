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
# Over TLS. Debian's sipp has no TLS, so socat terminates TLS on 127.0.0.1 in front of a sipp
# running over TCP; a throwaway CA made here with the openssl command signs its certificate
# and the server's (subjectAltName IP:127.0.0.1, DNS:localhost):
#   tls-register     a TLS trunk given the CA (--ca-file) registers with the registrar above
#                    (401 challenge, verifyauth), its REGISTER's Via saying TLS and its Contact
#                    naming the server's TLS listener; registered=yes
#   tls-wrong-ca     the same trunk given another CA refuses the certificate: registered=no
#                    with a certificate error, and sipp never sees a REGISTER
#   tls-call         extension 1101 (sipp on 127.0.0.3) dials 12125550199, routed to an
#                    IP-authenticated TLS trunk: the provider (e2e/sipp/trunk-uas-tls.xml)
#                    gets the INVITE over TLS and answers; PCMU RTP is counted at its SDP
#                    address; the caller hangs up and the provider gets the BYE
#   tls-did          the other way: the server listens for TLS with a certificate signed by
#                    the same CA; a provider (e2e/sipp/trunk-did-tls.xml over TCP into a socat
#                    bridge that verifies that certificate and connects from 127.0.0.8, the
#                    IP-authenticated trunk's address) calls the DID +12125550177; extension
#                    1701 (a sipp registered over UDP) answers; ACK and the provider's BYE
#                    flow; the 200's Contact names the TLS listener, its Via the bridge's
#                    address (received=); the record says answered. The same INVITE through
#                    a bridge from 127.0.0.9 is challenged 407 like a stranger's, and only the
#                    trunk's call rings the extension
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

for cmd in sipp python3 socat openssl ss; do
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
# Each with the three after it free for UDP (sipp's -mp binds four ports there).
ports=($(python3 "$root/scripts/free-ports.py" 32 --udp-span=4))
sip_port="${ports[0]}"
http_port="${ports[1]}"
tls_port="${ports[2]}"
next_port=3
take_port() { port="${ports[$next_port]}"; next_port=$((next_port + 1)); }

problems=()
fail() { problems+=("$*"); }

# The test CA, another CA, and the provider's and the server's certificates signed by the
# first, made once in $work/tls with the openssl command (its output in $work/tls.log) before
# the server starts; a failure fails each test that needs them (the server then makes its own).
tls="$work/tls"
tls_made=""
tls_files() {
  if [[ -z "$tls_made" ]]; then
    tls_made=1
    mkdir -p "$tls"
    local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=critical,CA:FALSE' \
      'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' >"$tls/leaf.ext"
    {
      openssl req -x509 "${ec[@]}" -keyout "$tls/ca.key" -out "$tls/ca.pem" -days 2 \
        -subj "/CN=Switchboard e2e test CA" -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign &&
        openssl req -x509 "${ec[@]}" -keyout "$tls/other-ca.key" -out "$tls/other-ca.pem" \
          -days 2 -subj "/CN=Some other CA" -addext basicConstraints=critical,CA:TRUE \
          -addext keyUsage=critical,keyCertSign,cRLSign &&
        openssl req -new "${ec[@]}" -keyout "$tls/provider.key" -out "$tls/provider.csr" \
          -subj "/CN=127.0.0.1" &&
        openssl x509 -req -in "$tls/provider.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
          -CAcreateserial -out "$tls/provider.pem" -days 2 -extfile "$tls/leaf.ext" &&
        openssl req -new "${ec[@]}" -keyout "$tls/server.key" -out "$tls/server.csr" \
          -subj "/CN=127.0.0.1" &&
        openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
          -CAcreateserial -out "$tls/server.pem" -days 2 -extfile "$tls/leaf.ext" &&
        openssl verify -CAfile "$tls/ca.pem" "$tls/provider.pem" "$tls/server.pem"
    } >"$work/tls.log" 2>&1 && tls_made=0
  fi
  ((tls_made == 0)) || { fail "making the test CA failed: $(tail -1 "$work/tls.log")"; return 1; }
}
tls_files
# the server's certificate when the test CA signed one
server_tls=""
[[ $tls_made == 0 ]] && server_tls="[tls]
cert = \"$tls/server.pem\"
key = \"$tls/server.key\""

cat >"$work/switchboard.toml" <<EOF2
data_dir = "$work/data"
domain = "switchboard.test"

[sip]
udp = "127.0.0.1:$sip_port"
tcp = "127.0.0.1:$sip_port"
tls = "127.0.0.1:$tls_port"

[http]
listen = "127.0.0.1:$http_port"
tls = "off"

[registrar]
qualify_interval = 3600
# sipp's callers read only the first challenge and know MD5 alone
digest_sha256_first = false
digest_sha256 = false

[media]
rtp_ports = "22000-22199"

$server_tls
EOF2

sb() { "$bin" --config "$work/switchboard.toml" "$@"; }

env -u SWITCHBOARD_BIN "$bin" serve --config "$work/switchboard.toml" >"$work/server.log" 2>&1 &
server_pid=$!
ready=0
for _ in $(seq 1 150); do
  kill -0 "$server_pid" 2>/dev/null || break
  if (exec 3<>"/dev/tcp/127.0.0.1/$sip_port") 2>/dev/null &&
    [[ -n "$(ss -Hltn "sport = :$tls_port" 2>/dev/null)" ]]; then ready=1; break; fi
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

# Waits until something listens on TCP 127.0.0.1:PORT (5 s); else fails the test with the
# last lines of socat's log $work/TEST-tls.log.
tls_listening() { # test port
  for _ in $(seq 1 50); do
    [[ -n "$(ss -Hltn "sport = :$2" 2>/dev/null)" ]] && return 0
    sleep 0.1
  done
  fail "socat did not listen on 127.0.0.1:$2: $(tail -2 "$work/$1-tls.log")"
  return 1
}
# socat terminating TLS on 127.0.0.1:LISTEN with the provider's certificate and forwarding
# each connection to sipp's TCP port (its log in $work/TEST-tls.log); waits until it listens.
tls_front() { # test listen-port sipp-port
  socat -d -d -lf "$work/$1-tls.log" \
    "OPENSSL-LISTEN:$2,bind=127.0.0.1,reuseaddr,fork,cert=$tls/provider.pem,key=$tls/provider.key,verify=0" \
    "TCP:127.0.0.1:$3" &
  bg_pids+=($!)
  tls_listening "$1" "$2"
}
# The other way: socat taking sipp's TCP connections on 127.0.0.1:LISTEN and carrying each
# over TLS to the server's listener, from the address FROM (what the server sees as the
# provider's), verifying the server's certificate with the test CA (its name, 127.0.0.1,
# included). Its log in $work/TEST-tls.log; waits until it listens.
tls_bridge() { # test listen-port from-address
  socat -d -d -lf "$work/$1-tls.log" \
    "TCP-LISTEN:$2,bind=127.0.0.1,reuseaddr,fork" \
    "OPENSSL:127.0.0.1:$tls_port,bind=$3,cafile=$tls/ca.pem,verify=1" &
  bg_pids+=($!)
  tls_listening "$1" "$2"
}
# A provider's call to a DID over TLS (e2e/sipp/trunk-did-tls.xml, over TCP into a bridge
# made by tls_bridge), up for 2 s when answered; returns sipp's status. The answer it got is
# in $work/TEST.log as "final: N".
did_call_over_tls() { # test bridge-port did caller-number
  take_port
  local p=$port
  take_port
  # shellcheck disable=SC2046
  timeout 60 sipp -sf "$sc/trunk-did-tls.xml" -t t1 -p "$p" -mp "$port" -m 1 "${common[@]}" \
    -s "$3" -key caller "$4" -key tls_server "127.0.0.1:$tls_port" -d 2000 \
    $(traces "$work/$1") "127.0.0.1:$2" >"$work/$1.out" 2>&1
}

# the caller of tls-call and the callee of tls-did, made now: the server's copy of the
# extensions is a second old
sb extension add 1101 --password pw-1101 >>"$work/cli.log" 2>&1
sb extension add 1701 --password pw-1701 >>"$work/cli.log" 2>&1

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

t_tls_register() {
  tls_files || return
  provider tls-register trunk-registrar -m 1 -t t1
  local pid=$provider_pid sipp_port=$port
  take_port
  local front=$port
  tls_front tls-register "$front" "$sipp_port" || return
  cli trunk add tlsprov --host "127.0.0.1:$front" --transport tls --ca-file "$tls/ca.pem" \
    --register --username acme-user --password trunk-secret-9 --expires 120 \
    --options-interval 0 || return
  wait "$pid"
  local rc=$?
  [[ $rc == 0 ]] || fail "sipp registrar behind TLS: exit $rc"
  grep -q '^Via: SIP/2.0/TLS ' "$work/tls-register-provider.msgs" ||
    fail "the REGISTER's Via does not say TLS: $(grep -m1 '^Via:' "$work/tls-register-provider.msgs")"
  listed tlsprov "registered=yes expires-in=" || return
  # the provider's calls come to the server's TLS listener
  note="$(grep -m1 -o 'Contact: <sip:acme-user@[^>]*>' "$work/tls-register-provider.msgs")"
  [[ "$note" == *"@127.0.0.1:$tls_port;transport=tls>" ]] ||
    fail "the REGISTER's Contact does not name the TLS listener 127.0.0.1:$tls_port: ${note:-none}"
}

t_tls_wrong_ca() {
  tls_files || return
  provider tls-wrong-ca trunk-registrar -m 1 -t t1
  local pid=$provider_pid sipp_port=$port
  take_port
  local front=$port
  tls_front tls-wrong-ca "$front" "$sipp_port" || return
  cli trunk add tlsother --host "127.0.0.1:$front" --transport tls \
    --ca-file "$tls/other-ca.pem" --register --username acme-user --password trunk-secret-9 \
    --expires 120 --options-interval 0 || return
  if listed tlsother 'registered=no last-error='; then
    [[ "${line,,}" == *certificate* ]] || fail "the last error does not name the certificate: $line"
    note="${line##*last-error=}"
  fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  ! grep -q '^REGISTER ' "$work/tls-wrong-ca-provider.msgs" 2>/dev/null ||
    fail "sipp got a REGISTER through a TLS connection the trunk should have refused"
  # the trunk's side of the handshake refused the certificate with a TLS alert (socat's child
  # may log it a moment after the server noted its error)
  local alert=0
  for _ in $(seq 1 20); do
    grep -qi 'alert unknown ca' "$work/tls-wrong-ca-tls.log" && { alert=1; break; }
    sleep 0.1
  done
  ((alert)) ||
    fail "socat logged no 'alert unknown ca' from the trunk: $(grep -m1 -i ssl "$work/tls-wrong-ca-tls.log")"
  cli trunk remove tlsother
}

t_tls_call() {
  tls_files || return
  take_port
  local front=$port
  take_port
  local rtp=$port
  python3 "$root/e2e/udp-count.py" "$rtp" "$work/tls-call.rtp" &
  bg_pids+=($!)
  take_port
  local media=$port
  provider tls-call trunk-uas-tls -m 1 -t t1 -mp "$media" -key tls_port "$front" -key rtp_port "$rtp"
  local pid=$provider_pid sipp_port=$port
  tls_front tls-call "$front" "$sipp_port" || return
  cli trunk add tlsout --host "127.0.0.1:$front" --transport tls --ca-file "$tls/ca.pem" \
    --codecs PCMU --options-interval 0 || return
  cli route add '_1NXXNXXXXXX' --trunks tlsout || return
  listed tlsout "updated=" || return # the server runs the trunk
  sleep 1.2 # and its copy of the routes is at most a second old
  take_port
  local caller=$port
  take_port
  # the caller is not on 127.0.0.1: the trunks with that host claim its requests as theirs
  # shellcheck disable=SC2046
  timeout 60 sipp -sf "$sc/call-caller.xml" -i 127.0.0.3 -p "$caller" -mp "$port" -m 1 \
    -nostdin -timeout 40s -timeout_error -key domain switchboard.test -key caller 1101 \
    -au 1101 -ap pw-1101 -s 12125550199 -d 3000 $(traces "$work/tls-call-caller") \
    "127.0.0.1:$sip_port" >"$work/tls-call-caller.out" 2>&1
  local rc=$?
  [[ $rc == 0 ]] || fail "caller 1101: sipp exit $rc"
  wait "$pid"
  rc=$?
  [[ $rc == 0 ]] || fail "provider answering over TLS: sipp exit $rc"
  grep -q '^INVITE sip:12125550199@' "$work/tls-call-provider.msgs" ||
    fail "the provider did not get INVITE sip:12125550199@…"
  sleep 0.6 # the counter writes its file every 0.5 s when idle
  local got
  got=$(cut -d' ' -f1 "$work/tls-call.rtp" 2>/dev/null)
  ((${got:-0} >= 20)) || fail "RTP at the provider: ${got:-0} packets (want >= 20)"
  note="rtp at provider ${got:-0}"
}

t_tls_did() {
  tls_files || return
  # the trunk knows its provider by address alone. With nothing to send by itself (no
  # registration, no OPTIONS) the server opens no connection to its host (127.0.0.8:5061,
  # where nothing listens), and shows no error for it: calls in come over its listener
  cli trunk add tlsin --host 127.0.0.8 --transport tls --allow 127.0.0.8/32 \
    --ca-file "$tls/ca.pem" --codecs PCMU --options-interval 0 || return
  cli did add +12125550177 --trunk tlsin --to 1701 || return
  listed tlsin "updated=" || return
  # the server's copies of the DIDs, of the trunks' addresses and of the extensions (1701
  # was added at the start) are up to 2 s old
  sleep 2.2
  # extension 1701: a sipp registered over UDP, then answering on the same port
  take_port
  local ext=$port
  # shellcheck disable=SC2046
  timeout 30 sipp -sf "$sc/register.xml" -key domain switchboard.test -auth_uri switchboard.test \
    -s 1701 -au 1701 -ap pw-1701 -p "$ext" -m 1 "${common[@]}" $(traces "$work/tls-did-register") \
    "127.0.0.1:$sip_port" >"$work/tls-did-register.out" 2>&1 || { fail "REGISTER 1701 failed"; return; }
  take_port
  local ext_media=$port
  take_port
  # shellcheck disable=SC2046
  timeout 60 sipp -sf "$sc/call-callee-answer.xml" -key rtp_port "$port" -p "$ext" -mp "$ext_media" \
    -m 1 "${common[@]}" $(traces "$work/tls-did-callee") >"$work/tls-did-callee.out" 2>&1 &
  local callee=$!
  bg_pids+=("$callee")
  take_port
  local trusted=$port
  tls_bridge tls-did-trunk "$trusted" 127.0.0.8 || return
  take_port
  local stranger=$port
  tls_bridge tls-did-stranger "$stranger" 127.0.0.9 || return

  # a stranger first: while it is challenged the extension waits for the trunk's call, so a
  # stray INVITE would show there (or make the trunk's call fail)
  local rc
  did_call_over_tls tls-did-stranger "$stranger" +12125550177 +13125550099
  rc=$?
  [[ $rc == 0 ]] && grep -q 'final: 407' "$work/tls-did-stranger.log" 2>/dev/null ||
    fail "the INVITE from 127.0.0.9 was not challenged 407 (sipp exit $rc; $(grep -m1 -o 'final: [0-9]*' "$work/tls-did-stranger.log" 2>/dev/null || echo 'no final answer'))"

  did_call_over_tls tls-did-provider "$trusted" +12125550177 +13125550042
  rc=$?
  [[ $rc == 0 ]] || fail "provider calling the DID over TLS: sipp exit $rc"
  local final
  final="$(grep -m1 'final: ' "$work/tls-did-provider.log" 2>/dev/null)"
  [[ "$final" == *"final: 200 received=127.0.0.8 "* ]] ||
    fail "the provider's INVITE was not answered 200 with its bridge's address: ${final:-no final answer}"
  # the provider's requests in the dialog come back over TLS
  [[ "$final" == *"@127.0.0.1:$tls_port;transport=tls>"* ]] ||
    fail "the 200's Contact does not name the TLS listener 127.0.0.1:$tls_port: $final"
  wait "$callee"
  rc=$?
  [[ $rc == 0 ]] || fail "extension 1701 answering: sipp exit $rc"

  # the extension was rung once, by the trunk's call
  local invites
  invites="$(grep -A30 '^INVITE ' "$work/tls-did-callee.msgs" 2>/dev/null | grep -i '^Call-ID:' | sort -u | wc -l)"
  [[ $invites == 1 ]] || fail "extension 1701 got $invites calls (want 1: the trunk's)"
  grep -A30 '^INVITE ' "$work/tls-did-callee.msgs" 2>/dev/null | grep -qi '^From:.*13125550042' ||
    fail "the extension's INVITE does not carry the provider's caller number: $(grep -A30 '^INVITE ' "$work/tls-did-callee.msgs" 2>/dev/null | grep -m1 -i '^From:')"
  ! grep -q '13125550099' "$work/tls-did-callee.msgs" 2>/dev/null ||
    fail "the stranger's call reached extension 1701"
  e2e_cdr --caller +13125550042 --dialed +12125550177 --callee 1701 --disposition answered \
    >"$work/t.cdr" || fail "$(cat "$work/t.cdr")"
  local status
  status="$(sb trunk list 2>>"$work/cli.log" | grep "^tlsin$(printf '\t')" || true)"
  [[ -n "$status" && "$status" != *last-error=* ]] ||
    fail "an inbound-only trunk shows an error: ${status:-not listed}"
  note="${final#*final: }; $(grep -m1 -o 'SSL proto version used: .*' "$work/tls-did-trunk-tls.log")"
}

tests=(register-401 wrong-password options-up tls-register tls-wrong-ca tls-call tls-did)
e2e_run_tests "${TRUNKS_SKIP:-}"
e2e_summary trunks
