#!/usr/bin/env bash
# Calls through Switchboard with real peers: boots the server on 127.0.0.1 (free ports, temp
# data dir, SQLite, MD5 digest first for sipp, [media] rtp_ports 20000-20999), adds extensions
# and features with the CLI, registers sipp callees from the port they then answer on, and
# runs the call scenarios of e2e/sipp/call-*.xml; each test also checks its call record
# (`switchboard cdr list --json`, e2e/cdr-check.py). Then two baresip phones (e2e/baresip/)
# register and call each other: each must record the other's tone and not its own. Over G.711
# (baresip-audio); SDES-SRTP on both legs (baresip-srtp: RTP/SAVP + a=crypto in the SDP each
# phone took, a key of the server's own to the caller), from an SRTP phone to a plain one and
# back (baresip-srtp-to-plain, baresip-plain-to-srtp); G.722 relayed (baresip-g722), G.722
# transcoded to PCMU (baresip-g722-to-pcmu: the caller offers only G.722, the callee only
# PCMU), and that transcoding between two SRTP legs (baresip-srtp-g722-to-pcmu).
# The last line is "N passed, N failed"; the exit status is non-zero when any failed.
#
# Environment:
#   SWITCHBOARD_BIN   binary to test (default: `cargo build -p switchboard`)
#   CALLS_SKIP        space-separated test names to skip, e.g. "blind-transfer baresip-audio"
#   INTEROP_KEEP=1    keep the temp dir (server log, sipp traces, recordings) and print its path
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=e2e/lib.sh
source "$root/e2e/lib.sh"
while read -r var; do
  [[ $var == SWITCHBOARD_BIN || $var == SWITCHBOARD_LOG ]] || unset "$var"
done < <(compgen -e | grep '^SWITCHBOARD_' || true)
sc="$root/e2e/sipp"
domain="switchboard.test"
rtp_range="20000-20999"

for cmd in sipp python3; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "calls: $cmd missing (run scripts/ensure-deps.sh)"; echo "0 passed, 1 failed"; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-calls.XXXXXX")"
server_pid=""
bg_pids=()
cleanup() {
  for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
  e2e_stop "$server_pid"
  if [[ "${INTEROP_KEEP:-0}" == 1 ]]; then echo "calls: logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

e2e_binary calls "$root" "$work"

# shellcheck disable=SC2207
# Each with the three after it free for UDP: a sipp given one as -mp binds all four (audio
# and video RTP and RTCP); a port in use there made sipp exit before the call.
ports=($(python3 "$root/scripts/free-ports.py" 100 --udp-span=4))
sip_port="${ports[0]}"
http_port="${ports[1]}"
next_port=2
take_port() { port="${ports[$next_port]}"; next_port=$((next_port + 1)); }

# qualify_interval: long, so that no keepalive OPTIONS hits a callee port between its
# REGISTER and its scenario (the callees answer them anyway with -oocsf).
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
qualify_interval = 3600
# sipp 3.6 reads only the first challenge and does MD5; baresip 1.0 (libre) refuses the whole
# challenge set when one of them names SHA-256. Real phones like these need the same settings.
digest_sha256_first = false
digest_sha256 = false

[media]
rtp_ports = "$rtp_range"
EOF

sb() { "$bin" --config "$work/switchboard.toml" "$@"; }
setup_failed=0
cli() { # any switchboard CLI command; a failure is reported and fails the run
  if ! sb "$@" >>"$work/cli.log" 2>&1; then
    echo "calls: 'switchboard $*' failed:"; tail -3 "$work/cli.log" | sed 's/^/    | /'
    setup_failed=1
  fi
}
ext() { cli extension add "$1" --password "pw-$1" --name "calls $1"; }

# Extensions: 11xx answered, 12xx busy, 13xx no answer, 14xx cancel, 15xx callee hangs up,
# 16xx hold, 17xx transfer, 18xx class of service, 19xx baresip (1901/1902 G.711, 1911/1912
# SRTP, 1913/1914 SRTP to plain, 1915/1916 plain to SRTP, 1921/1922 G.722, 1931/1932 G.722 to
# PCMU, 1933/1934 the same over SRTP, 1935/1936 over best-effort SRTP). x1 calls x2; x3 is the forward or transfer target.
for n in 1101 1102 1201 1202 1203 1251 1252 1301 1302 1303 1351 1352 1401 1402 1501 1502 \
  1601 1602 1701 1702 1703 1801 1901 1902 1911 1912 1913 1914 1915 1916 1921 1922 1931 1932 \
  1933 1934 1935 1936; do
  ext "$n"
done
cli extension set 1202 --forward-busy 1203
cli extension set 1302 --forward-noanswer 1303 --ring-timeout 3
cli extension set 1352 --ring-timeout 2
cli extension set 1801 --class national
# A rule that matches international numbers, so the class check (not "no route") decides.
cli dialplan add '_011.' --route pstn
if ((setup_failed)); then
  echo "calls: setup through the CLI failed (see above); the tests that need it will fail"
fi

env -u SWITCHBOARD_BIN "$bin" serve --config "$work/switchboard.toml" >"$work/server.log" 2>&1 &
server_pid=$!
ready=0
for _ in $(seq 1 150); do
  kill -0 "$server_pid" 2>/dev/null || break
  if (exec 3<>"/dev/tcp/127.0.0.1/$sip_port") 2>/dev/null; then ready=1; break; fi
  sleep 0.2
done
if [[ $ready != 1 ]]; then
  echo "calls: server did not start; its output:"
  tail -30 "$work/server.log"
  echo "0 passed, 1 failed"
  exit 1
fi

# --- sipp helpers ----------------------------------------------------------------------
common=(-i 127.0.0.1 -m 1 -nostdin -timeout 45s -timeout_error)
traces() { # log-prefix
  echo -trace_err -error_file "$1.errors" -trace_msg -message_file "$1.msgs" -trace_logs -log_file "$1.log"
}
# Register EXT from a fresh port; the port is left in $port for the callee to listen on.
register() { # test ext
  take_port
  local log="$work/$1-register-$2"
  # shellcheck disable=SC2046
  timeout 30 sipp -sf "$sc/register.xml" -key domain "$domain" -auth_uri "$domain" \
    -s "$2" -au "$2" -ap "pw-$2" -p "$port" "${common[@]}" -recv_timeout 5000 \
    $(traces "$log") "127.0.0.1:$sip_port" >"$log.out" 2>&1
}
# Start a callee scenario in the background on the port registered for EXT, its SDP pointing
# at a fresh RTP counter. Sets $callee_pid and $counter_file.
callee() { # test ext port scenario [extra sipp args...]
  local t="$1" e="$2" p="$3" s="$4"
  shift 4
  take_port
  local rtp="$port"
  take_port
  local mp="$port"
  counter_file="$work/$t-$e.rtp"
  python3 "$root/e2e/udp-count.py" "$rtp" "$counter_file" &
  bg_pids+=($!)
  # shellcheck disable=SC2046
  timeout 60 sipp -sf "$sc/$s.xml" -key rtp_port "$rtp" -key domain "$domain" -p "$p" -mp "$mp" \
    "${common[@]}" $(traces "$work/$t-callee-$e") "$@" >"$work/$t-callee-$e.out" 2>&1 &
  callee_pid=$!
  bg_pids+=("$callee_pid")
  sleep 0.2 # let it bind its port before the call arrives
}
caller() { # test ext dialed scenario [extra sipp args...]
  local t="$1" e="$2" d="$3" s="$4"
  shift 4
  take_port
  local p="$port"
  take_port
  # shellcheck disable=SC2046
  timeout 60 sipp -sf "$sc/$s.xml" -s "$d" -key caller "$e" -key domain "$domain" -au "$e" -ap "pw-$e" \
    -p "$p" -mp "$port" "${common[@]}" $(traces "$work/$t-caller-$e") "$@" \
    "127.0.0.1:$sip_port" >"$work/$t-caller-$e.out" 2>&1
}
rtp_count() { local n; n=$(cut -d' ' -f1 "$1" 2>/dev/null); echo "${n:-0}"; }
cdr() { e2e_cdr "$@"; } # the call's record checked (lib.sh)

problems=()
fail() { problems+=("$*"); }
# wait for a background sipp, failing the test with its name when it did not exit 0
waitfor() { # pid what
  wait "$1"
  local rc=$?
  [[ $rc == 0 ]] || fail "$2: sipp exit $rc"
}
sipp_ok() { # rc what
  [[ $1 == 0 ]] || fail "$2: sipp exit $1"
}
final_is() { # test ext code: the status call-caller-refused.xml logged
  local f="$work/$1-caller-$2.log" got
  got="$(grep -ho 'final: [0-9]*' "$f" 2>/dev/null | head -1)"
  [[ "$got" == "final: $3" ]] || fail "caller got ${got:-no final status}, want $3"
}

# --- the tests -------------------------------------------------------------------------
t_answered_rtp() { # caller hangs up; RTP from the caller's pcap counted at the callee
  register answered-rtp 1102 || { fail "REGISTER 1102"; return; }
  callee answered-rtp 1102 "$port" call-callee-answer
  local cpid=$callee_pid cf=$counter_file
  caller answered-rtp 1101 1102 call-caller -d 8000
  sipp_ok $? "caller 1101"
  waitfor "$cpid" "callee 1102"
  sleep 0.6 # the counter writes its file every 0.5 s when idle
  local got
  got=$(rtp_count "$cf")
  # g711a.pcap holds 236 packets, all sent before the BYE (8 s > 7 s of pcap).
  ((got >= 200)) || fail "RTP at the callee: $got packets (want >= 200 of the pcap's 236)"
  note="rtp at callee $got"
  cdr --caller 1101 --dialed 1102 --callee 1102 --disposition answered --cause 200 --min-duration 8 \
    --min-billable 7 --min-a-in 200 --min-b-out 200 >"$work/t.cdr" || fail "$(cat "$work/t.cdr")"
}

t_callee_hangs_up() {
  register callee-hangs-up 1502 || { fail "REGISTER 1502"; return; }
  callee callee-hangs-up 1502 "$port" call-callee-hangup -d 2000
  local cpid=$callee_pid
  caller callee-hangs-up 1501 1502 call-caller-gets-bye
  sipp_ok $? "caller 1501 (must get the BYE)"
  waitfor "$cpid" "callee 1502 (sends BYE)"
  cdr --caller 1501 --dialed 1502 --callee 1502 --disposition answered --min-billable 1 >"$work/t.cdr" ||
    fail "$(cat "$work/t.cdr")"
}

t_busy_forward() {
  register busy-forward 1202 || { fail "REGISTER 1202"; return; }
  local busy_port=$port
  register busy-forward 1203 || { fail "REGISTER 1203"; return; }
  callee busy-forward 1203 "$port" call-callee-answer
  local tpid=$callee_pid
  callee busy-forward 1202 "$busy_port" call-callee-busy
  local bpid=$callee_pid
  caller busy-forward 1201 1202 call-caller -d 1000
  sipp_ok $? "caller 1201 (must be answered by 1203)"
  waitfor "$bpid" "callee 1202 (486)"
  waitfor "$tpid" "forward target 1203"
  cdr --caller 1201 --dialed 1202 --callee 1203 --disposition answered >"$work/t.cdr" || fail "$(cat "$work/t.cdr")"
}

t_busy_refused() {
  register busy-refused 1252 || { fail "REGISTER 1252"; return; }
  callee busy-refused 1252 "$port" call-callee-busy
  local bpid=$callee_pid
  caller busy-refused 1251 1252 call-caller-refused
  sipp_ok $? "caller 1251"
  waitfor "$bpid" "callee 1252 (486)"
  final_is busy-refused 1251 486
  cdr --caller 1251 --dialed 1252 --disposition busy --cause 486 >"$work/t.cdr" || fail "$(cat "$work/t.cdr")"
}

t_noanswer_forward() {
  register noanswer-forward 1302 || { fail "REGISTER 1302"; return; }
  local ring_port=$port
  register noanswer-forward 1303 || { fail "REGISTER 1303"; return; }
  callee noanswer-forward 1303 "$port" call-callee-answer
  local tpid=$callee_pid
  callee noanswer-forward 1302 "$ring_port" call-callee-noanswer
  local rpid=$callee_pid
  caller noanswer-forward 1301 1302 call-caller -d 1000
  sipp_ok $? "caller 1301 (must be answered by 1303)"
  waitfor "$rpid" "callee 1302 (rings, must get CANCEL)"
  waitfor "$tpid" "forward target 1303"
  # it rang ring_timeout (3 s) at 1302 before 1303 answered
  cdr --caller 1301 --dialed 1302 --callee 1303 --disposition answered --min-duration 3 >"$work/t.cdr" ||
    fail "$(cat "$work/t.cdr")"
}

t_noanswer_480() {
  register noanswer-480 1352 || { fail "REGISTER 1352"; return; }
  callee noanswer-480 1352 "$port" call-callee-noanswer
  local rpid=$callee_pid
  caller noanswer-480 1351 1352 call-caller-refused
  sipp_ok $? "caller 1351"
  waitfor "$rpid" "callee 1352 (must get CANCEL)"
  final_is noanswer-480 1351 480
  cdr --caller 1351 --dialed 1352 --disposition "no answer" --min-duration 2 >"$work/t.cdr" || fail "$(cat "$work/t.cdr")"
}

t_caller_cancels() {
  register caller-cancels 1402 || { fail "REGISTER 1402"; return; }
  callee caller-cancels 1402 "$port" call-callee-noanswer
  local rpid=$callee_pid
  caller caller-cancels 1401 1402 call-caller-cancel -d 1000
  sipp_ok $? "caller 1401 (CANCEL, 200, 487)"
  waitfor "$rpid" "callee 1402 (must get CANCEL)"
  cdr --caller 1401 --dialed 1402 --disposition cancelled >"$work/t.cdr" || fail "$(cat "$work/t.cdr")"
}

t_hold_resume() {
  register hold-resume 1602 || { fail "REGISTER 1602"; return; }
  callee hold-resume 1602 "$port" call-callee-hold
  local cpid=$callee_pid
  caller hold-resume 1601 1602 call-caller-hold -d 1000
  sipp_ok $? "caller 1601 (re-INVITEs: 200 must say recvonly, then not)"
  waitfor "$cpid" "callee 1602 (re-INVITEs must say sendonly, then sendrecv)"
  cdr --caller 1601 --dialed 1602 --disposition answered >"$work/t.cdr" || fail "$(cat "$work/t.cdr")"
}

t_blind_transfer() {
  register blind-transfer 1702 || { fail "REGISTER 1702"; return; }
  local xport=$port
  register blind-transfer 1703 || { fail "REGISTER 1703"; return; }
  callee blind-transfer 1703 "$port" call-callee-answer
  local tpid=$callee_pid tcf=$counter_file
  callee blind-transfer 1702 "$xport" call-callee-transferor -d 1000 -key transfer_to 1703
  local xpid=$callee_pid
  caller blind-transfer 1701 1702 call-caller-transferred
  sipp_ok $? "caller 1701 (transferred)"
  waitfor "$xpid" "transferor 1702 (REFER, 202, NOTIFY 100 + 200, BYE)"
  waitfor "$tpid" "transfer target 1703 (answers, gets BYE when 1701 hangs up)"
  sleep 0.6
  # informational: the caller's pcap still playing when it is connected to 1703
  note="rtp at target $(rtp_count "$tcf")"
  cdr --caller 1701 --dialed 1702 --disposition answered >"$work/t.cdr" || fail "$(cat "$work/t.cdr")"
}

t_international_403() {
  caller international-403 1801 011441234567 call-caller-refused
  sipp_ok $? "caller 1801"
  final_is international-403 1801 403
  # a record with cause 403, or else a log line of the server about it
  if ! cdr --caller 1801 --dialed 011441234567 --cause 403 >"$work/t.cdr"; then
    local line
    line="$(grep -i "011441234567" "$work/server.log" | grep -iE "403|forbidden|class" | head -1)"
    if [[ -n "$line" ]]; then
      note="no CDR; server log: ${line:0:100}"
    else
      fail "$(cat "$work/t.cdr"); no server log line with 011441234567 and 403/forbidden/class either"
    fi
  fi
}

# Two baresip phones, CALLER calls CALLEE through the server with e2e/baresip/call.sh and the
# options given; its last line is the note (or the failure); then the call's record.
baresip_call() { # caller callee rtp-low [call.sh options...]
  local a="$1" b="$2" low="$3"
  shift 3
  if ! command -v baresip >/dev/null 2>&1; then
    fail "baresip missing (scripts/ensure-deps.sh installs it)"
    return
  fi
  local dir="$work/baresip-$a"
  if ! "$root/e2e/baresip/call.sh" --server "127.0.0.1:$sip_port" --domain "$domain" \
    --caller "$a:pw-$a" --callee "$b:pw-$b" --rtp "$low" "$@" "$dir" >"$dir.out" 2>&1; then
    fail "$(tail -1 "$dir.out")"
    sed 's/^/      /' "$dir.out" | tail -60 >"$work/t.extra"
    return
  fi
  note="$(tail -1 "$dir.out")"
  note="${note#ok: }"
  cdr --caller "$a" --dialed "$b" --callee "$b" --disposition answered --min-a-in 100 --min-b-out 100 \
    >"$work/t.cdr" || fail "$(cat "$work/t.cdr")"
}

t_baresip_audio() { baresip_call 1901 1902 22000; }
# SDES-SRTP on both phones (RTP/SAVP only): the server answers the caller with its own key and
# gets SRTP to the callee too (plain first, RTP/SAVP after its 488); call.sh checks the SDP each
# phone took and baresip's SRTP log. Then only one of the two phones speaks SRTP.
t_baresip_srtp() { baresip_call 1911 1912 22400 --srtp srtp-mand; }
t_baresip_srtp_to_plain() { baresip_call 1913 1914 23600 --srtp srtp-mand --srtp-side caller; }
t_baresip_plain_to_srtp() { baresip_call 1915 1916 24000 --srtp srtp-mand --srtp-side callee; }
# G.722 on both sides: relayed, both encode G.722.
t_baresip_g722() {
  baresip_call 1921 1922 22800 --caller-codecs G722/16000 --callee-codecs G722/16000 \
    --expect-codecs G722:G722
}
# The caller offers only G.722, the callee only PCMU (it picks PCMU from the codecs the server
# adds to the offer): the server transcodes.
t_baresip_g722_to_pcmu() {
  baresip_call 1931 1932 23200 --caller-codecs G722/16000 --callee-codecs PCMU \
    --expect-codecs G722:PCMU
}
# The same with SRTP on both legs: decrypt, transcode, encrypt.
t_baresip_srtp_g722_to_pcmu() {
  baresip_call 1933 1934 24400 --caller-codecs G722/16000 --callee-codecs PCMU \
    --expect-codecs G722:PCMU --srtp srtp-mand
}

# Best-effort SRTP (keys in an RTP/AVP offer, baresip's `mediaenc=srtp`) with transcoding:
# the server answers the caller in kind with its own key and offers the callee plain RTP.
t_baresip_srtp_optional_g722_to_pcmu() {
  baresip_call 1935 1936 21400 --caller-codecs G722/16000 --callee-codecs PCMU \
    --expect-codecs G722:PCMU --srtp srtp --srtp-side caller
}

tests=(answered-rtp callee-hangs-up busy-forward busy-refused noanswer-forward noanswer-480
  caller-cancels hold-resume blind-transfer international-403 baresip-audio baresip-srtp
  baresip-srtp-to-plain baresip-plain-to-srtp baresip-g722 baresip-g722-to-pcmu
  baresip-srtp-g722-to-pcmu baresip-srtp-optional-g722-to-pcmu)
e2e_run_tests "${CALLS_SKIP:-}"
if ((setup_failed)); then
  failed=$((failed + 1))
  echo "calls: CLI setup failed (counted as one failure)"
fi
e2e_summary calls
