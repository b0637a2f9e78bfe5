#!/usr/bin/env python3
"""Writes docs/benchmarks.md from the raw results of one scripts/bench run.

The results file has one record a line, the kind first:
  meta KEY VALUE…          the machine, the versions, the run's settings
  note TEXT…               something the run could not do, said in the report
  round N k=v…             a round began: idle_before (the machine's idle % just before it)
  failed LABEL REASON…     a measurement that did not happen, and why
  loadgen label=L k=v…     an ssrd_loadgen line (closed loop, open loop, or a cold start)
  inproc label=L k=v…      a bench_render summary (the in-process limit)
Labels end in .rN, the round: NAME.COMPONENT.cN.rN for throughput (NAME a peer or an ssrd
variant: ssrd, ssrd-shared, ssrd-fresh, ssrd-ping, ssrd-recycle), ssrd-overload.Tiny.xF.rN for the
open loop, inproc.COMPONENT.ISOLATION.rN for the in-process limit, cold.NAME.rN.RUN for cold
starts. Every figure shown is the median over the rounds of the same label.

Every ratio is between figures of the same run. A figure that is missing (its measurement
failed or was skipped) is shown as such, and a target that needs it is NOT MEASURED, never met.
"""
import argparse
import re
import statistics
import sys

PEERS = ["hypernova", "node-http", "piscina", "bun"]
PEER_NAMES = {
    "hypernova": "hypernova, 2 workers",
    "node-http": "Node http + renderToString",
    "piscina": "Node http + piscina, 2 threads",
    "bun": "Bun pipe bridge",
}
# The in-process figure the targets compare with: one context, no check, no IPC (the render alone).
INPROC_BASELINE = "shared"
# A measurement during which other processes kept more than this share of the machine busy is
# marked: its figures are lower than the system under test can do.
OTHER_LOAD_MARK = 0.10
LABEL = re.compile(r"^(?P<base>.+)\.r(?P<round>\d+)(?:\.(?P<run>\d+))?$")


def split_label(label):
    """(base, round) of a label; round None when it has none."""
    match = LABEL.match(label)
    return (match["base"], int(match["round"])) if match else (label, None)


def parse(path):
    meta, notes, failed, rounds, samples = {}, [], {}, {}, {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            kind, _, rest = line.rstrip("\n").partition(" ")
            if kind == "meta":
                key, _, value = rest.partition(" ")
                meta[key] = value
            elif kind == "note":
                notes.append(rest)
            elif kind == "round":
                number, _, fields = rest.partition(" ")
                rounds[int(number)] = dict(f.split("=", 1) for f in fields.split() if "=" in f)
            elif kind == "failed":
                label, _, reason = rest.partition(" ")
                failed[label] = reason
            elif kind in ("loadgen", "inproc"):
                fields = dict(f.split("=", 1) for f in rest.split() if "=" in f)
                base, number = split_label(fields.get("label", "-"))
                fields["round"] = number
                samples.setdefault(base, []).append(fields)
    return meta, notes, failed, rounds, samples


def num(fields, key):
    try:
        return float(fields[key]) if fields and key in fields else None
    except ValueError:
        return None


def code_count(fields, code):
    """How many replies of an error code a loadgen line counted (errors_by_code)."""
    for part in (fields or {}).get("errors_by_code", "-").split(","):
        name, _, n = part.rpartition(":")
        if name == code:
            return int(n)
    return 0


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, decimals=0):
    return "–" if value is None else f"{value:,.{decimals}f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def times(value):
    return "–" if value is None else f"{value:.2f}×"


def mib(kb):
    return None if kb is None else kb / 1024


class Report:
    def __init__(self, meta, notes, failed, rounds, samples):
        self.meta, self.notes, self.failed, self.rounds, self.samples = meta, notes, failed, rounds, samples
        self.round_count = int(meta.get("rounds") or max(rounds, default=1))
        self.out = []
        guarded = meta.get("default_isolation", "guarded") == "guarded"
        self.guarded = guarded
        self.names = {
            "ssrd": "ssrd, 2 workers, as it ships" + (" (guarded)" if guarded else " (a fresh context per render)"),
            "ssrd-shared": "ssrd --isolation shared, 2 workers" if guarded else "ssrd --reuse-context, 2 workers",
            "ssrd-fresh": "ssrd --isolation fresh, 2 workers",
            "ssrd-ping": "ssrd ping (supervisor only, no worker)",
            "ssrd-recycle": f"ssrd --recycle-after {meta.get('recycle_after', '?')}, 2 workers",
            **PEER_NAMES,
        }
        self.inproc_names = {
            "shared": "in-process limit: one isolate, one context, no check, no IPC",
            "guarded": "in-process, one context with the guard",
            "fresh": "in-process, a fresh context per render",
        }

    def say(self, text=""):
        self.out.append(text)

    # --- samples and medians ---------------------------------------------------------------

    def of(self, base):
        return self.samples.get(base, [])

    def med(self, base, key):
        return median(num(f, key) for f in self.of(base))

    def by_round(self, base, key):
        return {f["round"]: num(f, key) for f in self.of(base) if num(f, key) is not None}

    def other_share(self, fields):
        """The share of the machine's CPUs that other processes used during a measurement."""
        other, seconds = num(fields, "other_cpu_s"), num(fields, "seconds")
        cores = float(self.meta.get("cores") or 1)
        return None if other is None or not seconds else other / (seconds * cores)

    def noisy(self, fields):
        share = self.other_share(fields)
        return share is not None and share > OTHER_LOAD_MARK

    def marked(self, name, base):
        fields = self.of(base)
        noisy = sum(1 for f in fields if self.noisy(f))
        if len(fields) < self.round_count:
            name += f" ({len(fields)} of {self.round_count} rounds)"
        if noisy:
            name += " ⚠" if self.round_count == 1 else f" ⚠{noisy}"
        return name

    def failures_of(self, base):
        return [label for label in self.failed if split_label(label)[0] == base]

    def why_missing(self, base):
        labels = self.failures_of(base)
        if not labels:
            return "not measured"
        return "not started (see Failed measurements)" if all(
            self.failed[label].startswith("not started") for label in labels) \
            else "FAILED (see Failed measurements)"

    def per_round_text(self, values, unit="×", decimals=2):
        """' (rounds: a, b, c)' for several rounds, '' for one."""
        values = [v for _, v in sorted(values.items()) if v is not None]
        if len(values) < 2:
            return ""
        return " (rounds: " + ", ".join(f"{v:.{decimals}f}{unit}" for v in values) + ")"

    def isolation_pair_costs(self, component):
        """Cost in % of the default isolation against shared, one per pair and round, in order."""
        costs = []
        for pair in (1, 2):
            ratios = self.round_ratios(f"ssrd.{component}.c16.pair{pair}", "renders_per_s",
                                       f"ssrd-shared.{component}.c16.pair{pair}", "renders_per_s")
            costs += [(1 - v) * 100 for _, v in sorted(ratios.items()) if v is not None]
        return costs

    def round_ratios(self, a_base, a_key, b_base, b_key, scale=1.0):
        a, b = self.by_round(a_base, a_key), self.by_round(b_base, b_key)
        return {r: ratio(a[r], scale * b[r]) for r in a if r in b}

    # --- throughput --------------------------------------------------------------------------

    def errors(self, base):
        total, codes = 0, {}
        for fields in self.of(base):
            total += int(num(fields, "errors") or 0)
            for part in fields.get("errors_by_code", "-").split(","):
                if ":" in part:
                    code, n = part.rsplit(":", 1)
                    codes[code] = codes.get(code, 0) + int(n)
        if total == 0:
            return "0"
        return f"**{total}** ({','.join(f'{c}:{n}' for c, n in sorted(codes.items()))})"

    def cpu_per_render(self, base):
        values = []
        for fields in self.of(base):
            cpu, ok = num(fields, "server_cpu_s"), num(fields, "ok")
            values.append(None if cpu is None or not ok else cpu / ok * 1e6)
        return median(values)

    def workload(self, component, concurrency):
        self.say(f"### {component}, concurrency {concurrency}")
        self.say()
        self.say("| system | renders/s | p50 µs | p90 µs | p99 µs | errors | server CPU µs/render "
                 "| ssrd ÷ it |")
        self.say("|---|---|---|---|---|---|---|---|")
        ssrd = self.med(f"ssrd.{component}.c{concurrency}", "renders_per_s")
        for isolation, name in self.inproc_names.items():
            base = f"inproc.{component}.{isolation}"
            if not self.of(base):
                if self.failures_of(base):
                    self.say(f"| {name} | {self.why_missing(base)} | | | | | | |")
                continue
            rps = self.med(base, "renders_per_s")
            self.say(f"| {self.marked(name, base)} | {fmt(rps)} | {fmt(self.med(base, 'p50_us'), 1)} "
                     f"| {fmt(self.med(base, 'p90_us'), 1)} | {fmt(self.med(base, 'p99_us'), 1)} | 0 "
                     f"| {fmt(self.med(base, 'mean_us'), 1)} | {times(ratio(ssrd, rps))} |")
            if concurrency > 1 and isolation == INPROC_BASELINE and rps is not None:
                self.say(f"| 2 × the in-process limit (2 workers on 2 cores, nothing lost) "
                         f"| {fmt(2 * rps)} | | | | | | {times(ratio(ssrd, 2 * rps))} |")
        names = ["ssrd", "ssrd-shared", "ssrd-fresh"]
        if (component, concurrency) == ("Tiny", 1):
            names.append("ssrd-ping")
        for system in names + PEERS:
            base = f"{system}.{component}.c{concurrency}" if system != "ssrd-ping" else "ssrd-ping.ping.c1"
            if not self.of(base):
                if system != "ssrd" and system not in PEERS and not self.failures_of(base):
                    continue  # a variant this ssrd cannot run (see the notes)
                self.say(f"| {self.names[system]} | {self.why_missing(base)} | | | | | | |")
                continue
            rps = self.med(base, "renders_per_s")
            versus = "" if system == "ssrd" else times(ratio(ssrd, rps))
            self.say(f"| {self.marked(self.names[system], base)} | {fmt(rps)} | {fmt(self.med(base, 'p50_us'))} "
                     f"| {fmt(self.med(base, 'p90_us'))} | {fmt(self.med(base, 'p99_us'))} | {self.errors(base)} "
                     f"| {fmt(self.cpu_per_render(base))} | {versus} |")
        self.say()

    # --- isolation ---------------------------------------------------------------------------

    def stat_total(self, base, name):
        values = [num(f, f"stat_{name}") for f in self.of(base)]
        values = [v for v in values if v is not None]
        return sum(values) if values else None

    def isolation(self):
        self.say("## Isolation")
        self.say()
        default = "guarded" if self.guarded else "a fresh context per render"
        self.say(f"ssrd's default ({default}) against its other modes, end to end (2 workers) and in "
                 "process (one isolate, no IPC). `shared`: one context for every render, no check; "
                 "`guarded`: one context, checked after each render and replaced when a render left "
                 "something behind (each replacement counts in `context_resets`); `fresh`: a new "
                 "context per render. Cost: the share of `shared`'s renders/s a mode loses.")
        self.say()
        self.say(f"| workload | default renders/s | shared | fresh | cost of the default | cost of fresh "
                 f"| context resets (default, all rounds) |")
        self.say("|---|---|---|---|---|---|---|")
        for component in ("Tiny", "ProductPage"):
            for concurrency in (1, 16):
                d = self.med(f"ssrd.{component}.c{concurrency}", "renders_per_s")
                s = self.med(f"ssrd-shared.{component}.c{concurrency}", "renders_per_s")
                # Before --isolation, a fresh context per render was the default itself.
                f = self.med(f"ssrd-fresh.{component}.c{concurrency}", "renders_per_s") if self.guarded else d
                cost = lambda x: "–" if x is None or not s else f"{(1 - x / s) * 100:.0f}%"
                resets = self.stat_total(f"ssrd.{component}.c{concurrency}", "context_resets")
                self.say(f"| {component}, concurrency {concurrency} | {fmt(d)} | {fmt(s)} | {fmt(f)} "
                         f"| {cost(d)} | {cost(f)} | {fmt(resets)} |")
        self.say()
        self.say("In process, µs per render (mean; the guard's cost is guarded − shared):")
        self.say()
        self.say("| component | shared | guarded | fresh | the guard's cost µs |")
        self.say("|---|---|---|---|---|")
        for component in ("Tiny", "ProductPage"):
            means = {i: self.med(f"inproc.{component}.{i}", "mean_us") for i in ("shared", "guarded", "fresh")}
            guard = None if means["guarded"] is None or means["shared"] is None else means["guarded"] - means["shared"]
            self.say(f"| {component} | {fmt(means['shared'], 1)} | {fmt(means['guarded'], 1)} "
                     f"| {fmt(means['fresh'], 1)} | {fmt(guard, 1)} |")
        self.say()

    # --- overload ----------------------------------------------------------------------------

    def overload_base(self):
        return f"ssrd-overload.Tiny.x{self.meta.get('overload_factor', '4')}"

    def goodput_by_round(self):
        factor = float(self.meta.get("overload_factor") or 4)
        out = {}
        for fields in self.of(self.overload_base()):
            rate, good = num(fields, "rate"), num(fields, "renders_per_s")
            out[fields["round"]] = ratio(good, None if rate is None else rate / factor)
        return out

    def overload(self):
        factor = self.meta.get("overload_factor", "4")
        base = self.overload_base()
        self.say("## Overload")
        self.say()
        self.say(f"ssrd as it ships, Tiny, in an open loop: requests sent at {factor}× the sustainable rate "
                 "(ssrd's Tiny concurrency-16 closed loop in the same round) over 4 connections, "
                 "whatever the replies, each connection's requests written in small batches about "
                 "every 0.5 ms; good replies and `overloaded` refusals counted as they arrive in the "
                 "measured window. Goodput: good replies/s ÷ the sustainable rate. Server CPU per "
                 "reply counts good and refused replies alike.")
        self.say()
        rows = self.of(base)
        if not rows:
            self.say(f"Not measured: {self.why_missing(base)}.")
            self.say()
            return
        self.say("| round | sustainable renders/s | offered requests/s | good replies/s | goodput "
                 "| overloaded replies/s | other errors | p50 µs | p99 µs | server CPU µs/reply "
                 "| unsent / unanswered |")
        self.say("|---|---|---|---|---|---|---|---|---|---|---|")
        fac = float(factor)
        for fields in sorted(rows, key=lambda f: f["round"] or 0):
            rate = num(fields, "rate")
            sustainable = None if rate is None else rate / fac
            good = num(fields, "renders_per_s")
            overloaded = code_count(fields, "overloaded")
            others = ",".join(part for part in fields.get("errors_by_code", "-").split(",")
                              if ":" in part and not part.startswith("overloaded:"))
            errors = int(num(fields, "errors") or 0) - overloaded
            errors = "0" if errors == 0 else f"{errors} ({others})"
            cpu = num(fields, "server_cpu_s")
            replies = (num(fields, "ok") or 0) + overloaded
            per_reply = None if cpu is None or not replies else cpu / replies * 1e6
            mark = " ⚠" if self.noisy(fields) else ""
            self.say(f"| {fields['round']}{mark} | {fmt(sustainable)} | {fmt(num(fields, 'offered_per_s'))} "
                     f"| {fmt(good)} | {fmt(None if ratio(good, sustainable) is None else ratio(good, sustainable) * 100)}% "
                     f"| {fmt(overloaded / num(fields, 'seconds') if num(fields, 'seconds') else None)} | {errors} "
                     f"| {fmt(num(fields, 'p50_us'))} | {fmt(num(fields, 'p99_us'))} | {fmt(per_reply, 1)} "
                     f"| {fields.get('unsent', '–')} / {fields.get('unanswered', '–')} |")
        self.say()

    # --- recycling ---------------------------------------------------------------------------

    def recycling(self):
        self.say("## Recycling")
        self.say()
        self.say(f"Steady ProductPage load at concurrency 2 (2 connections, one request each at a time) for "
                 f"{self.meta.get('recycle_seconds', '?')} s after {self.meta.get('warmup', '?')} s of warm-up, "
                 f"ssrd as it ships against the same with `--recycle-after {self.meta.get('recycle_after', '?')}` "
                 "(each worker replaced after that many requests, its replacement warmed up as by default): "
                 "what replacing workers costs the slowest requests.")
        self.say()
        self.say("| run | renders/s | p50 µs | p90 µs | p99 µs | max µs | workers recycled (all rounds) |")
        self.say("|---|---|---|---|---|---|---|")
        for system in ("ssrd", "ssrd-recycle"):
            base = f"{system}.ProductPage.c2"
            if not self.of(base):
                self.say(f"| {self.names[system]} | {self.why_missing(base)} | | | | | |")
                continue
            self.say(f"| {self.marked(self.names[system], base)} | {fmt(self.med(base, 'renders_per_s'))} "
                     f"| {fmt(self.med(base, 'p50_us'))} | {fmt(self.med(base, 'p90_us'))} "
                     f"| {fmt(self.med(base, 'p99_us'))} | {fmt(self.med(base, 'max_us'))} "
                     f"| {fmt(self.stat_total(base, 'recycled'))} |")
        self.say()

    # --- cold start --------------------------------------------------------------------------

    COLD = {
        "ssrd-snapshot": "ssrd, 2 workers, from the cached snapshot (as it ships)",
        "ssrd-no-snapshot": "ssrd, 2 workers, --no-snapshot",
        "ssrd-empty-cache": "ssrd, 2 workers, empty cache (builds the snapshot first)",
        "ssrd": "ssrd, 2 workers",
        "hypernova": "hypernova, 2 workers",
        "node-http": "Node http + renderToString",
        "piscina": "Node http + piscina, 2 threads",
        "bun": "Bun pipe bridge",
    }

    def cold_values(self, name, key="cold_start_ms"):
        return [num(f, key) for f in self.of(f"cold.{name}") if num(f, key) is not None]

    def cold_median(self, name, key="cold_start_ms"):
        return median(self.cold_values(name, key))

    def cold_start(self):
        self.say("## Start-up")
        self.say()
        self.say("Process start to the first good ProductPage reply, with the workers each system has in "
                 "the throughput runs: the clock starts before the server's process is spawned (for "
                 "ssrd: before the `exec` of `ssrd`) and stops when a complete page has arrived, so the "
                 "runtime's start, the bundle's load and the first render are all inside it. The load "
                 "generator tries every millisecond until the server answers. Ready line: spawn to "
                 "`ssrd: ready on …` on ssrd's stdout (read from its log every millisecond). Median of "
                 f"{self.meta.get('cold_runs', '?')} start(s) per round, over all rounds.")
        self.say()
        self.say("| system | first page, median ms | min ms | max ms | ready line, median ms "
                 "| RSS after the first page, MiB | its median ÷ ssrd's from the cached snapshot |")
        self.say("|---|---|---|---|---|---|---|")
        snapshot = self.cold_median("ssrd-snapshot")
        expected = self.round_count * int(self.meta.get("cold_runs") or 1)
        for name, label in self.COLD.items():
            values = self.cold_values(name)
            if not values:
                if self.failures_of(f"cold.{name}"):
                    self.say(f"| {label} | {self.why_missing(f'cold.{name}')} | | | | | |")
                elif name in ("ssrd-snapshot", "ssrd-no-snapshot"):
                    self.say(f"| {label} | not measured (see the notes) | | | | | |")
                continue
            med = median(values)
            rss = median(self.cold_values(name, "rss_kb"))
            ready = self.cold_median(name, "ready_ms")
            versus = "" if name == "ssrd-snapshot" else times(ratio(med, snapshot))
            partial = f" ({len(values)} of {expected})" if len(values) < expected else ""
            self.say(f"| {label} | {fmt(med, 1)}{partial} | {fmt(min(values), 1)} | {fmt(max(values), 1)} "
                     f"| {fmt(ready, 1) if name.startswith('ssrd') else ''} | {fmt(mib(rss), 1)} | {versus} |")
        self.say()

    # --- memory ------------------------------------------------------------------------------

    def per_worker(self, system, base):
        fields = self.of(base)
        if system == "piscina":
            return "– (threads of one process)"
        # The round with the median PSS stands for the others.
        fields = sorted(fields, key=lambda f: num(f, "pss_kb") or 0)[len(fields) // 2] if fields else {}
        each = [part.rsplit(":", 1) for part in fields.get("rss_each_kb", "").split(",") if ":" in part]
        if system.startswith("ssrd"):
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
                 "concurrency-16 runs; medians over the rounds. RSS counts pages shared between "
                 "processes (the V8 or Node binary, a snapshot) once in each; PSS divides them among "
                 "the sharers, so the PSS total is what the tree costs the machine. Per worker: each "
                 "worker process's peak RSS.")
        self.say()
        self.say("| system | processes | ProductPage: RSS total MiB | PSS total MiB | RSS per worker MiB "
                 "| Tiny: RSS total MiB |")
        self.say("|---|---|---|---|---|---|")
        for system in ["ssrd", "ssrd-shared", "ssrd-fresh"] + PEERS:
            base = f"{system}.ProductPage.c16"
            if not self.of(base):
                if system in ("ssrd-shared", "ssrd-fresh") and not self.failures_of(base):
                    continue
                self.say(f"| {self.names[system]} | {self.why_missing(base)} | | | | |")
                continue
            procs = median(num(f, "procs") for f in self.of(base))
            self.say(f"| {self.names[system]} | {fmt(procs)} | {fmt(mib(self.med(base, 'rss_kb')), 1)} "
                     f"| {fmt(mib(self.med(base, 'pss_kb')), 1)} | {self.per_worker(system, base)} "
                     f"| {fmt(mib(self.med(f'{system}.Tiny.c16', 'rss_kb')), 1)} |")
        self.say()

    # --- rounds ------------------------------------------------------------------------------

    def round_table(self):
        if not self.rounds:
            return
        self.say("## Rounds")
        self.say()
        self.say("The machine's idle share in the second before each round, and the busiest measurement "
                 "of the round: the share of the CPUs other processes took during it. A round is noisy "
                 f"when it began under 90% idle or a measurement in it lost more than "
                 f"{OTHER_LOAD_MARK * 100:.0f}% of the CPUs to other work.")
        self.say()
        self.say("| round | idle before | busiest measurement | measurements over "
                 f"{OTHER_LOAD_MARK * 100:.0f}% | noisy |")
        self.say("|---|---|---|---|---|")
        for number, info in sorted(self.rounds.items()):
            shares = []
            for base, fields in self.samples.items():
                for f in fields:
                    if f["round"] == number and self.other_share(f) is not None:
                        shares.append((self.other_share(f), base))
            busiest = max(shares) if shares else None
            over = sum(1 for s, _ in shares if s > OTHER_LOAD_MARK)
            idle = info.get("idle_before")
            noisy = (idle is not None and float(idle) < 90) or over > 0
            self.say(f"| {number} | {idle or '?'}% "
                     f"| {'–' if busiest is None else f'{busiest[0] * 100:.0f}% (`{busiest[1]}`)'} "
                     f"| {over} of {len(shares)} | {'**yes**' if noisy else 'no'} |")
        self.say()

    # --- targets -----------------------------------------------------------------------------

    def targets(self):
        rows = []

        def add(name, measured, verdict):
            rows.append((name, measured, verdict))

        def at_least(name, value, needed, detail, per_round=None):
            if value is None:
                add(name, "–", f"NOT MEASURED ({detail})")
                return
            verdict = "MET" if value >= needed else \
                f"MISSED by {(1 - value / needed) * 100:.0f}% ({needed:.2f}× needed)"
            add(name, f"{value:.2f}× ({detail}){self.per_round_text(per_round or {})}", verdict)

        def at_most(name, value, limit, detail, per_round=None):
            if value is None:
                add(name, "–", f"NOT MEASURED ({detail})")
                return
            verdict = "MET" if value <= limit else f"MISSED by {(value / limit - 1) * 100:.0f}% (≤ {limit:.2f}× needed)"
            add(name, f"{value:.2f}× ({detail}){self.per_round_text(per_round or {})}", verdict)

        rps = lambda base: self.med(base, "renders_per_s")
        page, tiny = "ssrd.ProductPage.c16", "ssrd.Tiny.c16"
        for peer, needed in (("bun", 1.3), ("piscina", 1.4)):
            other = f"{peer}.ProductPage.c16"
            at_least(f"page, c16: ≥ {needed}× {PEER_NAMES[peer]}", ratio(rps(page), rps(other)), needed,
                     f"{fmt(rps(page))} ÷ {fmt(rps(other))} renders/s",
                     self.round_ratios(page, "renders_per_s", other, "renders_per_s"))
        limit = f"inproc.ProductPage.{INPROC_BASELINE}"
        twice = None if rps(limit) is None else 2 * rps(limit)
        at_least("page, c16: ≥ 0.85× twice the in-process render rate of one isolate", ratio(rps(page), twice),
                 0.85, f"{fmt(rps(page))} ÷ 2 × {fmt(rps(limit))} renders/s",
                 self.round_ratios(page, "renders_per_s", limit, "renders_per_s", 2.0))
        at_least(f"tiny, c16: ≥ 1.0× {PEER_NAMES['bun']}", ratio(rps(tiny), rps("bun.Tiny.c16")), 1.0,
                 f"{fmt(rps(tiny))} ÷ {fmt(rps('bun.Tiny.c16'))} renders/s",
                 self.round_ratios(tiny, "renders_per_s", "bun.Tiny.c16", "renders_per_s"))

        # The round trip: ssrd's p50 at concurrency 1 over the in-process render's p50.
        name = "tiny, c1: p50 round trip ≤ in-process render + 40 µs"
        rt, inproc = self.med("ssrd.Tiny.c1", "p50_us"), self.med(f"inproc.Tiny.{INPROC_BASELINE}", "p50_us")
        if rt is None or inproc is None:
            add(name, "–", "NOT MEASURED (a run failed)")
        else:
            added = rt - inproc
            a, b = self.by_round("ssrd.Tiny.c1", "p50_us"), self.by_round(f"inproc.Tiny.{INPROC_BASELINE}", "p50_us")
            per = {r: a[r] - b[r] for r in a if r in b}
            add(name, f"+{added:.0f} µs (ssrd {rt:.0f} µs − in-process {inproc:.1f} µs)"
                f"{self.per_round_text(per, ' µs', 0)}",
                "MET" if added <= 40 else f"MISSED by {added - 40:.0f} µs")

        # The default isolation against shared.
        default = "guarded" if self.guarded else "fresh, this ssrd's default"
        for component in ("page", "tiny"):
            c = "ProductPage" if component == "page" else "Tiny"
            d, s = f"ssrd.{c}.c16", f"ssrd-shared.{c}.c16"
            name = f"{component}, c16: the default isolation ({default}) costs ≤ 10% of shared's throughput"
            if rps(d) is None or rps(s) is None:
                add(name, "–", "NOT MEASURED (see the notes)" if not self.of(s) else "NOT MEASURED")
                continue
            pairs = self.isolation_pair_costs(c)
            if pairs:
                # The paired runs (scripts/bench, isolation_pairs): the median of every pair's cost.
                cost = median(pairs)
                listed = ", ".join(f"{v:.0f}%" for v in pairs)
                add(name, f"{cost:.0f}% (median of {len(pairs)} back-to-back pairs: {listed}; "
                    f"the table's runs: {fmt(rps(d))} vs {fmt(rps(s))} renders/s)",
                    "MET" if cost <= 10 else f"MISSED by {cost - 10:.0f} points")
                continue
            cost = (1 - rps(d) / rps(s)) * 100
            per = {r: (1 - v) * 100 for r, v in self.round_ratios(d, "renders_per_s", s, "renders_per_s").items()
                   if v is not None}
            add(name, f"{cost:.0f}% ({fmt(rps(d))} vs {fmt(rps(s))} renders/s){self.per_round_text(per, '%', 0)}",
                "MET" if cost <= 10 else f"MISSED by {cost - 10:.0f} points")

        factor = self.meta.get("overload_factor", "4")
        goodput = self.goodput_by_round()
        base = self.overload_base()
        name = f"overload: ≥ 90% goodput at {factor}× the sustainable rate"
        value = median(goodput.values())
        if value is None:
            add(name, "–", f"NOT MEASURED ({self.why_missing(base)}; see Overload)")
        else:
            detail = (f"{fmt(self.med(base, 'renders_per_s'))} good replies/s at "
                      f"{fmt(self.med(base, 'offered_per_s'))} offered, sustainable "
                      f"{fmt(median(num(f, 'rate') / float(factor) for f in self.of(base) if num(f, 'rate')))}; "
                      f"{fmt(median(code_count(f, 'overloaded') / num(f, 'seconds') for f in self.of(base) if num(f, 'seconds')))} "
                      "overloaded replies/s")
            per = {r: v * 100 for r, v in goodput.items() if v is not None}
            add(name, f"{value * 100:.0f}% ({detail}){self.per_round_text(per, '%', 0)}",
                "MET" if value >= 0.9 else f"MISSED by {(0.9 - value) * 100:.0f} points")

        rec, plain = "ssrd-recycle.ProductPage.c2", "ssrd.ProductPage.c2"
        name = (f"recycling: p99 with --recycle-after {self.meta.get('recycle_after', '?')} ≤ 1.5× p99 "
                "without (page, c2)")
        if self.stat_total(rec, "recycled") == 0:
            # Without a recycle in it, the run measured nothing of what the target is about.
            add(name, f"{fmt(self.med(rec, 'p99_us'))} µs vs {fmt(self.med(plain, 'p99_us'))} µs",
                "NOT MEASURED (no worker was recycled during the run: measure longer)")
        else:
            at_most(name, ratio(self.med(rec, "p99_us"), self.med(plain, "p99_us")), 1.5,
                    f"{fmt(self.med(rec, 'p99_us'))} µs ÷ {fmt(self.med(plain, 'p99_us'))} µs; "
                    f"{fmt(self.stat_total(rec, 'recycled'))} workers recycled",
                    self.round_ratios(rec, "p99_us", plain, "p99_us"))

        name = "start-up: first page from a cached snapshot sooner than the Bun bridge's"
        snap, bun = self.cold_median("ssrd-snapshot"), self.cold_median("bun")
        if snap is None or bun is None:
            add(name, "–", "NOT MEASURED (see Start-up)")
        else:
            ready = self.cold_median("ssrd-snapshot", "ready_ms")
            add(name, f"ssrd {snap:.1f} ms vs Bun {bun:.1f} ms (ssrd's ready line: {fmt(ready, 1)} ms; "
                f"empty cache: {fmt(self.cold_median('ssrd-empty-cache'), 1)} ms)",
                "MET" if snap < bun else f"MISSED by {snap - bun:.1f} ms")

        pss, pis = self.med(page, "pss_kb"), self.med("piscina.ProductPage.c16", "pss_kb")
        at_most("memory: whole-tree PSS under page load ≤ 0.5× piscina's", ratio(pss, pis), 0.5,
                f"{fmt(mib(pss), 1)} ÷ {fmt(mib(pis), 1)} MiB",
                self.round_ratios(page, "pss_kb", "piscina.ProductPage.c16", "pss_kb"))

        m = self.meta
        self.say("## Targets (issue 10)")
        self.say()
        self.say(f"Run of {m.get('date', '?')} on {m.get('host', '?')}: {m.get('cores', '?')} cores, "
                 f"{m.get('cpu', '?')}, {m.get('memory', '?')}, {m.get('kernel', '?')}. ssrd as it ships "
                 f"(no flags but the socket, the bundle and 2 workers), every figure the median of "
                 f"{self.round_count} round(s) of this run (each round's own figure in brackets). "
                 "Where the time goes, from profiles rather than guesses: "
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
        self.say(f"Latest run of `scripts/bench`: {m.get('date', '?')}, on {m.get('host', '?')} "
                 f"({m.get('cores', '?')} cores, {m.get('memory', '?')}, {m.get('cpu', '?')}, "
                 f"{m.get('kernel', '?')}); the machine was {m.get('idle_before', '?')}% idle just before. "
                 f"{self.round_count} round(s); it took {m.get('elapsed_s', '?')} s.")
        self.say()
        self.say(f"Versions: ssrd at {m.get('ssrd_rev', '?')} (its --help lists {m.get('ssrd_flags', '?')}); "
                 f"Node.js {m.get('node', '?')} (the Node peers), Bun {m.get('bun', '?')}, "
                 f"hypernova {m.get('hypernova', '?')}, piscina {m.get('piscina', '?')}.")
        self.say()
        self.say("Every figure on this page comes from this one run, on loopback TCP and Unix sockets, with "
                 "the load generator on the same 2 cores as the server (it uses some of them: that is "
                 "the same for every system). All systems render the example app's server bundle, "
                 "`examples/react-app/dist/server.mjs`, with the props of "
                 "`examples/react-app/expected/*.props.json` (Tiny: one element; ProductPage: a page of "
                 "300 products), as production React; every reply is checked to be the complete page "
                 "(a marker near its end and its size) and anything else counts as an error.")
        self.say()
        self.say(f"- **Rounds**: the run measures everything {self.round_count} time(s), one round after "
                 "the other, each round every system in the same order (so the systems are interleaved, "
                 "not one system's repetitions back to back); each figure is the median over the rounds.")
        self.say(f"- **Throughput** (`ssrd_loadgen`): a closed loop, {m.get('warmup', '?')} s of warm-up, then "
                 f"{m.get('seconds', '?')} s measured, against a freshly started server. Concurrency 1 is one "
                 "connection with one request at a time; concurrency 16 is 4 connections with 4 requests "
                 "in flight each (ssrd's client multiplexes them over its socket; HTTP/1.1 peers get 16 "
                 "keep-alive sockets), except the Bun bridge, whose one pipe carries all 16. Latency is "
                 "request to complete reply, at the client. Server CPU is the server tree's user+system "
                 "time over the measured phase, per good reply.")
        snapshot = " from the bundle's startup snapshot" if m.get("inproc_snapshot") == "yes" else ""
        self.say("- **In-process limit** (`bench_render`): the bundle's render called in a loop in one V8 "
                 f"isolate{snapshot}, no IPC, one thread: renders/s = 1 / mean. In the `shared` mode (one "
                 "context, no check) it is the floor of the render itself, and what the targets compare "
                 "with.")
        self.say("- **ssrd ÷ it**: ssrd's renders/s (as it ships, 2 workers) over that row's.")
        self.say()
        noisy = [(self.other_share(f), base) for base, fs in self.samples.items() for f in fs
                 if self.other_share(f) is not None]
        if noisy:
            share, label = max(noisy)
            line = (f"Other processes on the machine used at most {share * 100:.0f}% of its CPU time during "
                    f"a measurement (`{label}`).")
            if share > OTHER_LOAD_MARK:
                line = (f"> **The machine was not quiet.** {line} Rows marked ⚠ (⚠N: in N rounds) had other "
                        f"work taking more than {OTHER_LOAD_MARK * 100:.0f}% of the CPUs away from them; "
                        "their figures are low, and so are the ratios built on them. Run again on an idle "
                        "machine.")
            self.say(line)
            self.say()
        if self.notes:
            self.say("Notes from this run:")
            self.say()
            for text in self.notes:
                self.say(f"- {text}")
            self.say()
        self.targets()
        self.round_table()
        self.say("## Throughput and latency")
        self.say()
        for component in ("Tiny", "ProductPage"):
            for concurrency in (1, 16):
                self.workload(component, concurrency)
        self.isolation()
        self.overload()
        self.recycling()
        self.cold_start()
        self.memory()
        if self.failed:
            self.say("## Failed measurements")
            self.say()
            for label, reason in self.failed.items():
                self.say(f"- `{label}`: {reason}")
            self.say()
        return "\n".join(self.out).rstrip() + "\n"


# Sections of the page measured by other means (bench/adapters/run.sh) follow this line; a run
# of scripts/bench keeps them as they are.
KEPT_MARKER = "<!-- Below: not written by scripts/bench, kept as it is. -->"


def kept_tail(path):
    try:
        with open(path, encoding="utf-8") as old:
            text = old.read()
    except OSError:
        return ""
    at = text.find(KEPT_MARKER)
    return "" if at < 0 else "\n" + text[at:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    text = Report(*parse(args.results)).write() + kept_tail(args.out)
    with open(args.out, "w", encoding="utf-8") as out:
        out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
