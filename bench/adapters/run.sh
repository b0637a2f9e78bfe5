#!/usr/bin/env bash
# What an adapter adds to a render: bench_render (in-process, one engine, --isolation guarded as
# in a worker) on the same component through a hand-written render (dist/*-handwritten.mjs, from
# build.mjs) and through the app's adapter (examples/*-app/dist/server.mjs), alternating, ROUNDS
# times. Prints one line per run: round, case, variant, and the fastest render, p50 and mean in
# microseconds (on a busy machine the fastest render is the figure least disturbed by others).
# Run after scripts/build: bench/adapters/run.sh   (ROUNDS=3, ITERATIONS=20000 by default)
# Holds /tmp/ssrd-bench.lock while it measures, and waits while someone else holds it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=$root/build/bin/bench_render
rounds=${ROUNDS:-3}
iterations=${ITERATIONS:-20000}
lock=/tmp/ssrd-bench.lock

node "$here/build.mjs" >/dev/null
while [ -e "$lock" ]; do echo "waiting for $lock" >&2; sleep 30; done
echo "adapters $$" > "$lock"
trap 'rm -f "$lock"' EXIT

ex=$root/examples
# case name | component | props | hand-written bundle | adapter bundle
cases=(
  "react Tiny|Tiny|$(cat "$ex/react-app/expected/tiny.props.json")|$here/dist/react-handwritten.mjs|$ex/react-app/dist/server.mjs"
  "react ProductPage|ProductPage|$(cat "$ex/react-app/expected/product-page.props.json")|$here/dist/react-handwritten.mjs|$ex/react-app/dist/server.mjs"
  "react Checklist|ReactChecklist|$(cat "$ex/react-app/expected/checklist.props.json")|$here/dist/react-handwritten.mjs|$ex/react-app/dist/server.mjs"
  "preact Checklist|PreactChecklist|$(cat "$ex/preact-app/expected/checklist.props.json")|$here/dist/preact-handwritten.mjs|$ex/preact-app/dist/server.mjs"
  "vue Checklist|VueChecklist|$(cat "$ex/vue-app/expected/checklist.props.json")|$here/dist/vue-handwritten.mjs|$ex/vue-app/dist/server.mjs"
  "svelte Checklist|SvelteChecklist|$(cat "$ex/svelte-app/expected/checklist.props.json")|$here/dist/svelte-handwritten.mjs|$ex/svelte-app/dist/server.mjs"
)
for round in $(seq "$rounds"); do
  for c in "${cases[@]}"; do
    IFS='|' read -r name component props handwritten adapter <<<"$c"
    # ProductPage is ~1000x a Tiny render: fewer iterations, same order of time.
    n=$iterations; [ "$component" = ProductPage ] && n=$((iterations / 50))
    for variant in handwritten adapter; do
      bundle=$handwritten; [ "$variant" = adapter ] && bundle=$adapter
      out=$("$bench" --bundle "$bundle" --component "$component" --props "$props" \
               --iterations "$n" --warmup $((n / 10)) 2>/dev/null | tail -2)
      min=$(sed -n 's/.* min \([0-9.]*\) us.*/\1/p' <<<"$out")
      p50=$(sed -n 's/.* p50_us=\([0-9.]*\).*/\1/p' <<<"$out")
      mean=$(sed -n 's/.* mean_us=\([0-9.]*\).*/\1/p' <<<"$out")
      printf '%s\t%s\t%s\tmin_us=%s\tp50_us=%s\tmean_us=%s\n' "$round" "$name" "$variant" "$min" "$p50" "$mean"
    done
  done
done
