#!/usr/bin/env bash
# Installs, with apt, what `make run`, `make test` and `make bench` need on a fresh Debian
# machine. Idempotent and fast when everything is there: it looks for each command first and
# calls apt only for what is missing (one `apt-get update`, then one install).
#
#   scripts/ensure-deps.sh run      # C toolchain, pkg-config, libopus, libbcg729, node + npm
#                                   # (the softphone bundle is built with esbuild from npm)
#   scripts/ensure-deps.sh [test]   # the above + sipp, baresip, chromium, iproute2 (network
#                                   # namespaces for the browser tests), socat + openssl (the
#                                   # TLS trunk test), tcpdump (RTP capture of the browser's
#                                   # trunk call), and the npm packages of e2e/jssip and
#                                   # e2e/browser (npm ci)
#   scripts/ensure-deps.sh bench    # the above + kamailio (the reference registrar) and
#                                   # rtpengine + kamailio-websocket-modules (the reference
#                                   # WebRTC gateway of scripts/bench-media.sh)
#
# The Rust toolchain itself is not installed here: Debian's rustc is too old for edition 2024,
# so it has to come from rustup (https://rustup.rs); we only say so clearly.
set -euo pipefail

profile="${1:-test}"
case "$profile" in
  run|test|bench) ;;
  *) echo "usage: $0 [run|test|bench]" >&2; exit 2 ;;
esac

# command -> Debian package that provides it
declare -A wanted=(
  [cc]=build-essential
  [make]=build-essential
  [pkg-config]=pkg-config
  [taskset]=util-linux
  # scripts/build-web.sh bundles the softphone (web/src) with esbuild from npm.
  [node]=nodejs
  [npm]=npm
)
if [[ "$profile" != run ]]; then
  wanted[sipp]=sip-tester
  # e2e/interop.sh asks the kernel for free ports through python3's socket module.
  wanted[python3]=python3
  # e2e/browser: Playwright drives Debian's Chromium (it cannot download its own here),
  # inside a network namespace with only loopback (ip netns).
  wanted[chromium]=chromium
  wanted[ip]=iproute2
  # e2e/calls.sh: baresip as a real phone (its G.711, aufile, sndfile and alsa modules
  # are in the package; alsa's "null" device stands in for a sound card).
  wanted[baresip]=baresip-core
  # e2e/trunks.sh: Debian's sipp has no TLS, so socat terminates TLS in front of it, with a
  # test CA and certificates made by the openssl command.
  wanted[socat]=socat
  wanted[openssl]=openssl
  # e2e/browser (04-trunk-out): what the server sent a sipp provider, captured on lo.
  wanted[tcpdump]=tcpdump
fi
if [[ "$profile" == bench ]]; then
  wanted[kamailio]=kamailio
  # scripts/bench-media.sh: the reference WebRTC gateway (../shared/bench/rtpengine/run.sh)
  wanted[rtpengine]=rtpengine-daemon
  # scripts/call-instructions.sh: instructions per call under callgrind (this VM has no
  # hardware counters, and CPU time is too noisy to see a change of a few per cent)
  wanted[valgrind]=valgrind
fi

missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done
# The media codecs link C libraries (media::codec): libopus, and libbcg729 for G.729.
pkg-config --exists opus 2>/dev/null || missing+=(libopus-dev)
[[ -f /usr/include/bcg729/encoder.h ]] || missing+=(libbcg729-dev)
# Kamailio's modules ship in the main package, but check the ones registrar.cfg loads.
if [[ "$profile" == bench ]] && command -v kamailio >/dev/null 2>&1; then
  for mod in auth registrar usrloc; do
    ls /usr/lib/*/kamailio/modules/"$mod".so >/dev/null 2>&1 || missing+=(kamailio)
  done
fi
# SIP over WebSocket for the rtpengine gateway's browser side (a package of its own)
if [[ "$profile" == bench ]]; then
  ls /usr/lib/*/kamailio/modules/websocket.so >/dev/null 2>&1 || missing+=(kamailio-websocket-modules)
fi

if ((${#missing[@]})); then
  mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "ensure-deps: installing ${pkgs[*]}" >&2
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "ensure-deps: need root or sudo to install ${pkgs[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  # kamailio's package starts nothing by itself on machines without systemd; --no-install-recommends
  # keeps the install small (no MTA pulled in by recommends).
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi

# The npm packages of e2e/jssip (JsSIP, ws) and e2e/browser (Playwright) from their
# package-lock.json: `npm ci` only when they were never installed or the lock changed since
# (npm writes node_modules/.package-lock.json on each install). A failure is not fatal: the
# checks that need them then fail, saying why.
if [[ "$profile" != run ]]; then
  root="$(cd "$(dirname "$0")/.." && pwd)"
  for dir in "$root/e2e/jssip" "$root/e2e/browser"; do
    [[ -f "$dir/package-lock.json" ]] || continue
    if [[ ! -f "$dir/node_modules/.package-lock.json" ||
          "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
      echo "ensure-deps: npm ci in ${dir#"$root/"}" >&2
      npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >&2 ||
        echo "ensure-deps: npm ci in ${dir#"$root/"} failed; its tests will fail" >&2
    fi
  done
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    echo "ensure-deps: cargo is in ~/.cargo/bin but not on PATH: run 'source ~/.cargo/env'" >&2
  else
    echo "ensure-deps: no Rust toolchain; install it with rustup (https://rustup.rs), Rust >= 1.94" >&2
  fi
  exit 1
fi
