#!/bin/sh
# ssrd_loadgen --trace: one line per good reply ("sent_unix_us latency_us slot"), as many lines as
# the run counted good replies, each sent within the run and by one of its slots.
# Usage: loadgen_trace_test.sh SSRD_LOADGEN SSRD BUNDLE
set -eu
loadgen=$1 ssrd=$2 bundle=$3
dir=$(mktemp -d)
# The daemon is the load generator's child in a process group of its own; stop it whatever happens.
trap '[ -s "$dir/pgid" ] && kill -KILL -- "-$(cat "$dir/pgid")" 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

before=$(date +%s%6N)
out=$("$loadgen" --spawn "'$ssrd' --bundle '$bundle' --socket '$dir/s' --workers 1" \
  --child-pid-file "$dir/pgid" --child-log "$dir/log" --socket "$dir/s" --component Hi --props '{"n":1}' --expect 'Hi:' \
  --connections 2 --in-flight 2 --requests 40 --warmup-s 0 --duration-s 60 --trace "$dir/trace") \
  || { cat "$dir/log"; fail "the load generator failed"; }
after=$(date +%s%6N)
echo "$out"

case $out in *" ok=40 "*) ;; *) fail "expected ok=40 in: $out" ;; esac
[ -f "$dir/trace" ] || fail "no trace file"
lines=$(wc -l < "$dir/trace")
[ "$lines" -eq 40 ] || fail "expected 40 trace lines, got $lines"
awk -v before="$before" -v after="$after" '
  NF != 3 || $1 !~ /^[0-9]+$/ || $2 !~ /^[0-9]+$/ || $3 !~ /^[0-9]+$/ { print "bad line: " $0; bad = 1; next }
  $1 < before || $1 > after { print "sent outside the run: " $0; bad = 1 }
  $2 + 0 == 0 || $1 + $2 > after { print "latency out of bounds: " $0; bad = 1 }
  $3 > 3 { print "no such slot: " $0; bad = 1 }
  { slots[$3] = 1 }
  END { if (length(slots) != 4) { print "expected all 4 slots, got " length(slots); bad = 1 } exit bad }
' "$dir/trace" || fail "trace lines"
echo "PASS"
