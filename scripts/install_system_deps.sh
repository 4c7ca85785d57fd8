#!/usr/bin/env bash
# Non-Python pieces, installed through apt where possible. None is required for the micro
# preset (its data is committed); they let you regenerate data: Stockfish relabels chess
# puzzles, wordnet-base rebuilds the WordNet tables. Failing here only warns.
set -u
need=()
[ -x /usr/games/stockfish ] || command -v stockfish >/dev/null 2>&1 || need+=(stockfish)
[ -f /usr/share/wordnet/data.noun ] || need+=(wordnet-base)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: optional system packages missing (${need[*]}); install them with apt to regenerate data" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${need[@]}" >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${need[@]}" >/dev/null 2>&1; } \
  || echo "warning: could not apt-get install ${need[*]}; the micro preset does not need them" >&2
exit 0
