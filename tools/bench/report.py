#!/usr/bin/env python3
"""Writes docs/benchmarks.md from the raw results of one scripts/bench run.

The results file has one record a line, the kind first:
  meta KEY VALUE…          the machine, the versions, the run's settings
  note TEXT…               something the run could not do, said in the report
  failed LABEL REASON…     a measurement that did not happen, and why
  loadgen label=L k=v…     an ssrd_loadgen line (throughput, or cold start with --cold-start-only)
  inproc label=L k=v…      a bench_render summary (the in-process limit)
Labels: SYSTEM.COMPONENT.cN for throughput, cold.SYSTEM.RUN for cold starts,
inproc.COMPONENT.CONTEXT for the in-process limit.

Every ratio is between figures of the same run. A figure that is missing (its measurement
failed or was skipped) is shown as such, and a target that needs it is NOT MEASURED, never met.
"""
import argparse
import statistics
import sys

SYSTEMS = {
    "ssrd": "ssrd, 2 workers",
    "ssrd-reuse": "ssrd --reuse-context, 2 workers",
    "ssrd-ping": "ssrd ping (supervisor only, no worker)",
    "hypernova": "hypernova, 2 workers",
    "node-http": "Node http + renderToString",
    "piscina": "Node http + piscina, 2 threads",
    "bun": "Bun pipe bridge",
}
PEERS = ["hypernova", "node-http", "piscina", "bun"]
COLD = {
    "ssrd-snapshot": "ssrd, 1 worker, from the cached snapshot",
    "ssrd-no-snapshot": "ssrd, 1 worker, --no-snapshot",
    "ssrd-empty-cache": "ssrd, 1 worker, empty cache (builds the snapshot first)",
    "ssrd": "ssrd, 1 worker",
    "hypernova": "hypernova, 1 worker",
    "node-http": "Node http + renderToString",
    "piscina": "Node http + piscina, 1 thread",
    "bun": "Bun pipe bridge",
}


def parse(path):
    meta, notes, failed, runs = {}, [], {}, {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            kind, _, rest = line.rstrip("\n").partition(" ")
            if kind == "meta":
                key, _, value = rest.partition(" ")
                meta[key] = value
            elif kind == "note":
                notes.append(rest)
            elif kind == "failed":
                label, _, reason = rest.partition(" ")
                failed[label] = reason
            elif kind in ("loadgen", "inproc"):
                fields = dict(f.split("=", 1) for f in rest.split() if "=" in f)
                runs[fields.get("label", "-")] = fields
    return meta, notes, failed, runs


def num(fields, key):
    try:
        return float(fields[key]) if fields and key in fields else None
    except ValueError:
        return None


def fmt(value, decimals=0):
    return "–" if value is None else f"{value:,.{decimals}f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def times(value):
    return "–" if value is None else f"{value:.2f}×"


def mib(kb):
    return None if kb is None else kb / 1024


# A measurement during which other processes kept more than this share of the machine busy is
# marked: its figures are lower than the system under test can do.
OTHER_LOAD_MARK = 0.10


class Report:
    def __init__(self, meta, notes, failed, runs):
        self.meta, self.notes, self.failed, self.runs = meta, notes, failed, runs
        self.out = []

    def say(self, text=""):
        self.out.append(text)

    def run(self, label):
        return self.runs.get(label)

    def other_share(self, fields):
        """The share of the machine's CPUs that other processes used during a measurement."""
        other, seconds = num(fields, "other_cpu_s"), num(fields, "seconds")
        cores = float(self.meta.get("cores") or 1)
        return None if other is None or not seconds else other / (seconds * cores)

    def marked(self, name, fields):
        share = self.other_share(fields)
        return f"{name} ⚠" if share is not None and share > OTHER_LOAD_MARK else name

    def busiest(self):
        shares = [(self.other_share(f), label) for label, f in self.runs.items()
                  if self.other_share(f) is not None]
        return max(shares) if shares else None

    def why_missing(self, label):
        if label not in self.failed:
            return "not measured"
        return "not started (see Failed measurements)" if self.failed[label].startswith("not started") \
            else "FAILED (see Failed measurements)"

    def failures(self):
        if not self.failed:
            return
        self.say("## Failed measurements")
        self.say()
        for label, reason in self.failed.items():
            self.say(f"- `{label}`: {reason}")
        self.say()

    def rps(self, label):
        return num(self.run(label), "renders_per_s")

    def inproc_rps(self, component, context="reused"):
        return self.rps(f"inproc.{component}.{context}")

    # --- throughput --------------------------------------------------------------------------

    def errors(self, fields):
        count = int(num(fields, "errors") or 0)
        by_code = fields.get("errors_by_code", "-")
        return "0" if count == 0 else f"**{count}** ({by_code})"

    def cpu_per_render(self, fields):
        cpu, ok = num(fields, "server_cpu_s"), num(fields, "ok")
        return None if cpu is None or not ok else cpu / ok * 1e6

    def workload(self, component, concurrency):
        self.say(f"### {component}, concurrency {concurrency}")
        self.say()
        self.say("| system | renders/s | p50 µs | p90 µs | p99 µs | errors | server CPU µs/render "
                 "| ssrd ÷ it |")
        self.say("|---|---|---|---|---|---|---|---|")
        ssrd = self.rps(f"ssrd.{component}.c{concurrency}")
        for context, name in (("reused", "in-process limit: one isolate, one context, no IPC"),
                              ("fresh", "in-process, a fresh context per render from the snapshot")):
            label = f"inproc.{component}.{context}"
            fields = self.run(label)
            if fields is None:
                self.say(f"| {name} | {self.why_missing(label)} | | | | | | |")
                continue
            self.say(f"| {name} | {fmt(num(fields, 'renders_per_s'))} | {fmt(num(fields, 'p50_us'), 1)} "
                     f"| {fmt(num(fields, 'p90_us'), 1)} | {fmt(num(fields, 'p99_us'), 1)} | 0 "
                     f"| {fmt(num(fields, 'mean_us'), 1)} | {times(ratio(ssrd, num(fields, 'renders_per_s')))} |")
            if concurrency > 1 and context == "reused":
                twice = 2 * num(fields, "renders_per_s")
                self.say(f"| 2 × the in-process limit (2 workers on 2 cores, nothing lost) "
                         f"| {fmt(twice)} | | | | | | {times(ratio(ssrd, twice))} |")
        names = ["ssrd", "ssrd-reuse"] + (["ssrd-ping"] if (component, concurrency) == ("Tiny", 1) else [])
        for system in names + PEERS:
            label = f"{system}.{component}.c{concurrency}" if system != "ssrd-ping" else "ssrd-ping.c1"
            fields = self.run(label)
            if fields is None:
                if system in ("ssrd-reuse", "ssrd-ping") and label not in self.failed:
                    continue  # only measured where it tells something
                self.say(f"| {SYSTEMS[system]} | {self.why_missing(label)} | | | | | | |")
                continue
            versus = "" if system == "ssrd" else times(ratio(ssrd, num(fields, "renders_per_s")))
            self.say(f"| {self.marked(SYSTEMS[system], fields)} | {fmt(num(fields, 'renders_per_s'))} | {fmt(num(fields, 'p50_us'))} "
                     f"| {fmt(num(fields, 'p90_us'))} | {fmt(num(fields, 'p99_us'))} | {self.errors(fields)} "
                     f"| {fmt(self.cpu_per_render(fields))} | {versus} |")
        self.say()

    # --- fresh context ---------------------------------------------------------------------

    def fresh_context(self):
        rows = []
        for component in ("Tiny", "ProductPage"):
            for concurrency in (1, 16):
                fresh = self.run(f"ssrd.{component}.c{concurrency}")
                reuse = self.run(f"ssrd-reuse.{component}.c{concurrency}")
                if fresh is None or reuse is None:
                    continue
                f, r = num(fresh, "renders_per_s"), num(reuse, "renders_per_s")
                cost = None if not r else (1 - f / r) * 100
                rows.append(f"| {component}, concurrency {concurrency} | {fmt(f)} | {fmt(r)} "
                            f"| {fmt(cost)}% | {fmt(self.cpu_per_render(fresh))} "
                            f"| {fmt(self.cpu_per_render(reuse))} |")
        if not rows:
            return
        self.say("## A fresh context per render")
        self.say()
        self.say("ssrd's default (a fresh context per render, nothing leaks from one request to the next) "
                 "against `--reuse-context` (one context for all), each pair measured back to back.")
        self.say()
        self.say("| workload | fresh renders/s | reused renders/s | cost of a fresh context "
                 "| server CPU µs/render, fresh | reused |")
        self.say("|---|---|---|---|---|---|")
        for row in rows:
            self.say(row)
        self.say()

    # --- cold start --------------------------------------------------------------------------

    def cold_ms(self, system):
        values = []
        for label, fields in self.runs.items():
            if label.startswith(f"cold.{system}.") and num(fields, "cold_start_ms") is not None:
                values.append((num(fields, "cold_start_ms"), num(fields, "rss_kb")))
        return values

    def cold_median(self, system):
        values = self.cold_ms(system)
        return statistics.median(v for v, _ in values) if values else None

    def cold_failure(self, system):
        for label in self.failed:
            if label.startswith(f"cold.{system}."):
                return label
        return None

    def cold_start(self):
        self.say("## Cold start")
        self.say()
        self.say("Process start to the first good ProductPage reply, one worker each: the clock starts "
                 "before the server's process is spawned and stops when a complete page has arrived, "
                 "so the runtime's start, the bundle's load and the first (unoptimised) render are all "
                 "inside it. The load generator tries every millisecond until the server answers. "
                 f"Median of {self.meta.get('cold_runs', '?')} start(s).")
        self.say()
        self.say("| system | median ms | min ms | max ms | RSS after the first render, MiB "
                 "| its median ÷ ssrd's from the snapshot (over 1: ssrd is sooner) |")
        self.say("|---|---|---|---|---|---|")
        snapshot = self.cold_median("ssrd-snapshot")
        for system, name in COLD.items():
            values = self.cold_ms(system)
            failure = self.cold_failure(system)
            if not values:
                if failure:
                    self.say(f"| {name} | {self.why_missing(failure)} | | | | |")
                elif system in ("ssrd-snapshot", "ssrd-no-snapshot"):
                    self.say(f"| {name} | not measured (see the notes) | | | | |")
                continue
            ms = [v for v, _ in values]
            rss = statistics.median(r for _, r in values if r is not None) if any(r for _, r in values) else None
            median = statistics.median(ms)
            versus = "" if system == "ssrd-snapshot" else times(ratio(median, snapshot))
            partial = f" ({len(values)} of {self.meta.get('cold_runs', '?')}; then {self.why_missing(failure)})" if failure else ""
            self.say(f"| {name} | {fmt(median, 1)}{partial} | {fmt(min(ms), 1)} | {fmt(max(ms), 1)} "
                     f"| {fmt(mib(rss), 1)} | {versus} |")
        self.say()

    # --- memory ------------------------------------------------------------------------------

    def per_worker(self, system, fields):
        each = [part.rsplit(":", 1) for part in fields.get("rss_each_kb", "").split(",") if ":" in part]
        if system == "piscina":
            return "– (threads of one process)"
        if system in ("ssrd", "ssrd-reuse"):
            workers = [int(kb) for name, kb in each if name == "ssrd-worker"]
        elif system == "hypernova":
            workers = [int(kb) for _, kb in each[1:]]  # the first is the cluster's primary
        else:
            workers = [int(kb) for _, kb in each]
        return ", ".join(f"{kb / 1024:.0f}" for kb in workers) or "–"

    def memory(self):
        self.say("## Memory under load")
        self.say()
        self.say("Peak resident memory of the server's whole process tree (the supervisor or primary "
                 "and every worker), sampled every 500 ms during the measured phase of the "
                 "concurrency-16 runs. RSS counts pages shared between processes (the V8 or Node "
                 "binary, a snapshot) once in each; PSS divides them among the sharers, so the PSS "
                 "total is what the tree costs the machine. Per worker: each worker process's peak RSS.")
        self.say()
        self.say("| system | processes | ProductPage: RSS total MiB | PSS total MiB | RSS per worker MiB "
                 "| Tiny: RSS total MiB |")
        self.say("|---|---|---|---|---|---|")
        for system in ["ssrd", "ssrd-reuse"] + PEERS:
            page = self.run(f"{system}.ProductPage.c16")
            tiny = self.run(f"{system}.Tiny.c16")
            if page is None:
                if system == "ssrd-reuse":
                    continue
                self.say(f"| {SYSTEMS[system]} | {self.why_missing(f'{system}.ProductPage.c16')} | | | | |")
                continue
            self.say(f"| {SYSTEMS[system]} | {page.get('procs', '–')} | {fmt(mib(num(page, 'rss_kb')), 1)} "
                     f"| {fmt(mib(num(page, 'pss_kb')), 1)} | {self.per_worker(system, page)} "
                     f"| {fmt(mib(num(tiny, 'rss_kb')), 1)} |")
        self.say()

    # --- targets -----------------------------------------------------------------------------

    def targets(self):
        rows = []

        def at_least(name, measured, needed, detail):
            if measured is None:
                rows.append((name, "–", f"NOT MEASURED ({detail})"))
                return
            if measured >= needed:
                verdict = "MET"
            else:
                verdict = f"MISSED by {(1 - measured / needed) * 100:.0f}% ({needed:.2f}× needed)"
            rows.append((name, f"{measured:.2f}× ({detail})", verdict))

        snap, nosnap = self.cold_median("ssrd-snapshot"), self.cold_median("ssrd-no-snapshot")
        bun_cold = self.cold_median("bun")
        at_least("cold start: a worker from a snapshot ≥ 2× sooner than without",
                 ratio(nosnap, snap), 2.0, f"{fmt(nosnap, 1)} ms without ÷ {fmt(snap, 1)} ms with")
        at_least("cold start: from a snapshot sooner than the Bun bridge", ratio(bun_cold, snap), 1.0,
                 f"Bun {fmt(bun_cold, 1)} ms ÷ ssrd {fmt(snap, 1)} ms")
        # Each throughput target twice: ssrd as it runs by default (a fresh context per render),
        # and with --reuse-context, which is what every peer does (one context for all requests).
        inproc_page = self.inproc_rps("ProductPage")
        twice = None if inproc_page is None else 2 * inproc_page
        for system, how in (("ssrd", ""), ("ssrd-reuse", ", with --reuse-context")):
            page = self.rps(f"{system}.ProductPage.c16")
            if system == "ssrd-reuse" and page is None:
                continue
            for peer, needed in (("hypernova", 1.5), ("piscina", 1.3)):
                other = self.rps(f"{peer}.ProductPage.c16")
                at_least(f"ProductPage c16: ≥ {needed}× {SYSTEMS[peer]}{how}", ratio(page, other),
                         needed, f"{fmt(page)} ÷ {fmt(other)} renders/s")
            at_least(f"ProductPage c16: ≥ 0.8× twice the in-process limit{how}", ratio(page, twice),
                     0.8, f"{fmt(page)} ÷ 2 × {fmt(inproc_page)} renders/s")
            tiny = self.rps(f"{system}.Tiny.c16")
            for peer, needed in (("node-http", 3.0), ("bun", 1.0)):
                other = self.rps(f"{peer}.Tiny.c16")
                at_least(f"Tiny c16: ≥ {needed:g}× {SYSTEMS[peer]}{how}", ratio(tiny, other), needed,
                         f"{fmt(tiny)} ÷ {fmt(other)} renders/s")
        page = self.rps("ssrd.ProductPage.c16")

        # The round trip alone: ssrd and the in-process render doing the same work (one context),
        # when ssrd could be run so; else ssrd's default against the one-context render.
        inproc_tiny = num(self.run("inproc.Tiny.reused"), "p50_us")
        reuse_tiny = num(self.run("ssrd-reuse.Tiny.c1"), "p50_us")
        default_tiny = num(self.run("ssrd.Tiny.c1"), "p50_us")
        rt, which = (reuse_tiny, "ssrd --reuse-context") if reuse_tiny is not None else (default_tiny, "ssrd")
        name = "Tiny c1: the round trip adds ≤ 50 µs to the in-process render (p50)"
        if rt is None or inproc_tiny is None:
            rows.append((name, "–", "NOT MEASURED (a run failed)"))
        else:
            added = rt - inproc_tiny
            detail = f"+{added:.0f} µs: {which} {rt:.0f} µs − in-process {inproc_tiny:.1f} µs"
            if which != "ssrd" and default_tiny is not None:
                detail += f"; default ssrd (fresh context) {default_tiny:.0f} µs"
            rows.append((name, detail, "MET" if added <= 50 else f"MISSED by {added - 50:.0f} µs"))

        fresh, reuse = page, self.rps("ssrd-reuse.ProductPage.c16")
        name = "fresh context per render costs ≤ 15% of ProductPage throughput"
        if fresh is None or reuse is None:
            rows.append((name, "–", "NOT MEASURED (see the notes)" if reuse is None else "NOT MEASURED"))
        else:
            cost = (1 - fresh / reuse) * 100
            rows.append((name, f"{cost:.0f}% ({fmt(fresh)} fresh vs {fmt(reuse)} reused renders/s)",
                         "MET" if cost <= 15 else f"MISSED by {cost - 15:.0f} points"))

        self.say("## Targets (issue 5)")
        self.say()
        self.say("Where the time goes, from profiles rather than guesses: "
                 "[architecture.md, Performance](architecture.md#performance).")
        self.say()
        self.say("| target | measured in this run | verdict |")
        self.say("|---|---|---|")
        for name, measured, verdict in rows:
            self.say(f"| {name} | {measured} | **{verdict}** |")
        self.say()

    # --- the page ----------------------------------------------------------------------------

    def write(self):
        m = self.meta
        self.say("# Benchmarks")
        self.say()
        if m.get("mode") == "quick":
            self.say("> **A quick run (BENCH_QUICK=1)**: short measurements to check the harness. "
                     "Its figures are noisy; the published figures come from a full run.")
            self.say()
        self.say(f"Latest run of `scripts/bench`: {m.get('date', '?')}, on {m.get('cores', '?')} cores, "
                 f"{m.get('memory', '?')}, {m.get('cpu', '?')}, {m.get('kernel', '?')}; the machine was "
                 f"{m.get('idle_before', '?')}% idle just before. It took {m.get('elapsed_s', '?')} s.")
        self.say()
        self.say(f"Versions: ssrd at {m.get('ssrd_rev', '?')}; Node.js {m.get('node', '?')} (the Node peers), "
                 f"Bun {m.get('bun', '?')}, hypernova {m.get('hypernova', '?')}, piscina {m.get('piscina', '?')}.")
        self.say()
        self.say("Every figure on this page comes from this one run, on loopback TCP and Unix sockets, with "
                 "the load generator on the same 2 cores as the server (it uses some of them: that is "
                 "the same for every system). All systems render the example app's server bundle, "
                 "`examples/react-app/dist/server.mjs`, with the props of "
                 "`examples/react-app/expected/*.props.json` (Tiny: 31 bytes of HTML; ProductPage: 300 "
                 "items, 153 KB), as production React; every reply is checked to be the complete page "
                 "(a marker near its end and its size) and anything else counts as an error.")
        self.say()
        self.say(f"- **Throughput** (`ssrd_loadgen`): a closed loop, {m.get('warmup', '?')} s of warm-up, then "
                 f"{m.get('seconds', '?')} s measured, against a freshly started server. Concurrency 1 is one "
                 "connection with one request at a time; concurrency 16 is 4 connections with 4 requests "
                 "in flight each (ssrd's client multiplexes them over its socket; HTTP/1.1 peers get 16 "
                 "keep-alive sockets), except the Bun bridge, whose one pipe carries all 16. Latency is "
                 "request to complete reply, at the client. Server CPU is the server tree's user+system "
                 "time over the measured phase, per good reply.")
        self.say("- **In-process limit** (`bench_render`): the bundle's render called in a loop in one V8 "
                 "isolate, no IPC, one thread: renders/s = 1 / mean. With one context for every render, "
                 "it is the floor of the render itself; with a fresh context per render it is what a "
                 "worker does by default: each context made from the bundle's startup snapshot, "
                 "with the worker's V8 flags.")
        self.say("- **ssrd ÷ it**: ssrd's renders/s (2 workers, the default fresh context) over that row's.")
        self.say()
        busiest = self.busiest()
        if busiest is not None:
            share, label = busiest
            line = (f"Other processes on the machine used at most {share * 100:.0f}% of its CPU time during "
                    f"a measurement (`{label}`).")
            if share > OTHER_LOAD_MARK:
                line = (f"> **The machine was not quiet.** {line} Rows marked ⚠ had other work taking more "
                        f"than {OTHER_LOAD_MARK * 100:.0f}% of the CPUs away from them; their figures are "
                        "low, and so are the ratios built on them. Run again on an idle machine.")
            self.say(line)
            self.say()
        if self.notes:
            self.say("Notes from this run:")
            self.say()
            for text in self.notes:
                self.say(f"- {text}")
            self.say()
        self.targets()
        self.say("## Throughput and latency")
        self.say()
        for component in ("Tiny", "ProductPage"):
            for concurrency in (1, 16):
                self.workload(component, concurrency)
        self.fresh_context()
        self.cold_start()
        self.memory()
        self.failures()
        return "\n".join(self.out).rstrip() + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    text = Report(*parse(args.results)).write()
    with open(args.out, "w", encoding="utf-8") as out:
        out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
