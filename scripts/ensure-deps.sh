#!/usr/bin/env bash
# Installs, with apt, what `make run`, `make test` and `make bench` need on a fresh Debian
# machine. Idempotent and fast when everything is there: it looks for each command first and
# calls apt only for what is missing (one `apt-get update`, then one install).
#
#   scripts/ensure-deps.sh          # run + test: C toolchain, pkg-config, libopus, libbcg729,
#                                   # sipp, baresip,
#                                   # node + npm and e2e/jssip's npm packages (npm ci)
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
)
if [[ "$profile" != run ]]; then
  wanted[sipp]=sip-tester
  # e2e/interop.sh asks the kernel for free ports through python3's socket module.
  wanted[python3]=python3
  # ... and runs JsSIP (e2e/jssip/) in Node for the SIP-over-WebSocket checks.
  wanted[node]=nodejs
  wanted[npm]=npm
  # e2e/calls.sh: baresip as a real phone (its G.711, aufile, sndfile and alsa modules
  # are in the package; alsa's "null" device stands in for a sound card).
  wanted[baresip]=baresip-core
fi
if [[ "$profile" == bench ]]; then
  wanted[kamailio]=kamailio
  # scripts/bench-media.sh: the reference WebRTC gateway (../shared/bench/rtpengine/run.sh)
  wanted[rtpengine]=rtpengine-daemon
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

# e2e/jssip's packages (JsSIP, ws) from its package-lock.json: `npm ci` only when they were
# never installed or the lock changed since (npm writes node_modules/.package-lock.json on
# each install). A failure is not fatal: interop.sh then fails its ws/jssip-* checks, saying why.
if [[ "$profile" != run ]]; then
  jssip="$(cd "$(dirname "$0")/.." && pwd)/e2e/jssip"
  if [[ ! -f "$jssip/node_modules/.package-lock.json" ||
        "$jssip/package-lock.json" -nt "$jssip/node_modules/.package-lock.json" ]]; then
    echo "ensure-deps: npm ci in e2e/jssip" >&2
    npm ci --prefix "$jssip" --no-audit --no-fund --loglevel=error >&2 ||
      echo "ensure-deps: npm ci in e2e/jssip failed; the ws/jssip interop checks will fail" >&2
  fi
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    echo "ensure-deps: cargo is in ~/.cargo/bin but not on PATH: run 'source ~/.cargo/env'" >&2
  else
    echo "ensure-deps: no Rust toolchain; install it with rustup (https://rustup.rs), Rust >= 1.94" >&2
  fi
  exit 1
fi
