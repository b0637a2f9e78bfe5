#!/usr/bin/python3
"""Soak benchmark (not a test): mixed renders through a real ssrd for a long time, with faults
injected at random, counting what must never happen.

    /usr/bin/python3 tools/bench/soak.py --minutes 30 [--report FILE]

Load: --clients threads, each with its own ssrd_client.Client (clients/python), rendering the
React example's ProductPage, Tiny and ReactChecklist with a token in the props that the page
must echo. Faults, one every 1-6 s, picked at random: a worker SIGKILLed, the bundle replaced
(written beside it and renamed over it, as a deploy does: the daemon reloads), a client cut off
mid-frame (half a frame, then close), a client gone with its request in flight, a cancel of a
render in flight, a render with a 1 ms deadline (a timeout), a client that gives up early (its
client sends a cancel).

Counted, and all must be zero:
  lost replies    a request that got no reply (30 s for the load, 10 s for a fault's request)
  mixed replies   a reply whose page does not echo its own request's token, or with a wrong id
  leaked fds      descriptors the daemon holds once the load has stopped, minus those it held
                  before it started (the workers are the same number, so their channels too)
and memory, flat after warm-up: ssrd's RSS after the first tenth of the run against the end;
each worker's RSS growth per render it served (a least-squares slope over its own samples,
from its 100th render on), from the `stats` reply, which names every worker with its rss.

Prints a Markdown section (also written to --report) for docs/benchmarks.md.
"""
import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))

import msgpack  # noqa: E402  (Debian's python3-msgpack, the client's only dependency)

from ssrd_client import Client, SsrdError, SsrdTimeout  # noqa: E402

LOAD_TIMEOUT_S = 30.0
FAULT_REPLY_TIMEOUT_S = 10.0


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.values = {}
        self.examples = {}

    def add(self, name, example=None):
        with self.lock:
            self.values[name] = self.values.get(name, 0) + 1
            if example is not None and len(self.examples.setdefault(name, [])) < 5:
                self.examples[name].append(example)

    def get(self, name):
        with self.lock:
            return self.values.get(name, 0)


def frame(message):
    payload = msgpack.packb(message, use_bin_type=True)
    return struct.pack(">I", len(payload)) + payload


def read_reply(sock, deadline):
    """One reply map from a raw socket, or None when nothing whole arrived by the deadline."""
    def exactly(n):
        data = b""
        while len(data) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            sock.settimeout(left)
            try:
                chunk = sock.recv(n - len(data))
            except socket.timeout:
                return None
            if not chunk:
                return None
            data += chunk
        return data
    header = exactly(4)
    if header is None:
        return None
    payload = exactly(struct.unpack(">I", header)[0])
    return None if payload is None else msgpack.unpackb(payload, raw=False, strict_map_key=False)


def proc_status(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def fd_targets(pid):
    """What each descriptor points at ("socket:[…]" numbered by inode, so kinds only)."""
    kinds = {}
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            kind = target.split(":[")[0] if ":[" in target else target
            kinds[kind] = kinds.get(kind, 0) + 1
    except OSError:
        pass
    return kinds


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.counters = Counters()
        self.stop = threading.Event()
        self.tmp = tempfile.mkdtemp(prefix="ssrd-soak-")
        self.socket = os.path.join(self.tmp, "ssrd.sock")
        self.bundle_dir = os.path.join(self.tmp, "bundle")
        self.bundle = os.path.join(self.bundle_dir, "server.mjs")
        self.generation = 0
        self.samples = []        # (t, ssrd_rss, ssrd_fds, [worker dicts])
        self.token_seq = 0
        self.token_lock = threading.Lock()

    # -- the daemon ------------------------------------------------------------------------

    def start(self):
        shutil.copytree(os.path.dirname(self.args.bundle), self.bundle_dir)
        self.log = open(os.path.join(self.tmp, "ssrd.log"), "w")
        cmd = [self.args.ssrd, "--socket", self.socket, "--bundle", self.bundle,
               "--workers", str(self.args.workers), "--log-level", "warn",
               "--snapshot-dir", os.path.join(self.tmp, "snapshots")]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ssrd exited with {self.proc.returncode}: see {self.log.name}")
            try:
                with Client(self.socket, timeout=5) as client:
                    client.ping()
                return
            except (SsrdError, OSError):
                time.sleep(0.2)
        raise RuntimeError("ssrd did not answer a ping within 120 s")

    def stop_daemon(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def raw_stats(self):
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.socket)
            s.sendall(frame({"v": 1, "id": 1, "op": "stats"}))
            return read_reply(s, time.monotonic() + FAULT_REPLY_TIMEOUT_S)

    def worker_pids(self):
        reply = self.raw_stats() or {}
        return [w["pid"] for w in reply.get("workers", []) if w.get("pid")]

    # -- load ------------------------------------------------------------------------------

    def token(self):
        with self.token_lock:
            self.token_seq += 1
            return f"t{self.token_seq}x{self.rng.randrange(1 << 30)}"

    def load_thread(self, index):
        client = Client(self.socket, timeout=LOAD_TIMEOUT_S)
        rng = random.Random(self.args.seed * 1000 + index)
        while not self.stop.is_set():
            token = self.token()
            pick = rng.random()
            try:
                if pick < 0.45:
                    count = rng.choice([10, 50, 100, 300])
                    page = client.render("ProductPage", {"title": token, "count": count,
                                                         "seed": rng.randrange(100)})
                    ok = f"<title>{token}</title>" in page.head and token in page.html
                elif pick < 0.9:
                    page = client.render("Tiny", {"name": token}, hydrate=rng.random() < 0.5)
                    ok = f"Hello, {token}!" in page.html
                else:
                    page = client.render("ReactChecklist", {})
                    ok = bool(page.html)
                self.counters.add("renders ok")
                if not ok:
                    self.counters.add("mixed replies", token)
            except SsrdTimeout as exc:
                self.counters.add("lost replies", f"load {token}: {exc}")
            except SsrdError as exc:
                # A render whose worker died twice (killed, then its retry's worker reloaded
                # away) is answered worker_crashed: an answer, counted by code.
                self.counters.add(f"load error {exc.code}")
        client.close()

    # -- faults ----------------------------------------------------------------------------

    def fault_kill_worker(self):
        pids = self.worker_pids()
        if pids:
            try:
                os.kill(self.rng.choice(pids), signal.SIGKILL)
            except ProcessLookupError:
                pass

    def fault_replace_bundle(self):
        self.generation += 1
        with open(self.bundle, "rb") as f:
            text = f.read()
        marker = b"\n// soak generation "
        text = text.split(marker)[0] + marker + str(self.generation).encode() + b"\n"
        tmp = self.bundle + ".new"
        with open(tmp, "wb") as f:
            f.write(text)
        os.replace(tmp, self.bundle)

    def raw_connection(self):
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.socket)
        return s

    def fault_cut_mid_frame(self):
        data = frame({"v": 1, "id": 7, "op": "render", "component": "Tiny",
                      "props": {"name": "cut"}})
        with self.raw_connection() as s:
            s.sendall(data[:self.rng.randrange(1, len(data))])

    def fault_gone_in_flight(self):
        with self.raw_connection() as s:
            s.sendall(frame({"v": 1, "id": 8, "op": "render", "component": "ProductPage",
                             "props": {"count": 300}}))

    def fault_cancel(self):
        token = self.token()
        with self.raw_connection() as s:
            s.sendall(frame({"v": 1, "id": 11, "op": "render", "component": "ProductPage",
                             "props": {"title": token, "count": 300}}))
            time.sleep(self.rng.random() * 0.02)
            s.sendall(frame({"v": 1, "id": 12, "op": "cancel", "target": 11}))
            # The cancel itself is answered ok, or not_found once the render was answered first
            # (docs/protocol.md, cancel); the render cancelled, or its page.
            self.expect_replies(s, {11: (token, {"cancelled"}), 12: (None, {"not_found"})})

    def fault_timeout(self):
        token = self.token()
        with self.raw_connection() as s:
            s.sendall(frame({"v": 1, "id": 21, "op": "render", "component": "ProductPage",
                             "props": {"title": token, "count": 300}, "timeout_ms": 1}))
            self.expect_replies(s, {21: (token, {"timeout"})})

    def fault_client_gives_up(self):
        # The Python client cancels a call it stops waiting for.
        client = Client(self.socket, timeout=0.005)
        try:
            client.render("ProductPage", {"count": 300})
        except SsrdError:
            pass
        client.close()

    def expect_replies(self, sock, wanted):
        """Reads until every id in `wanted` ({id: (token, allowed codes)}) was answered once; a
        render's token must be in its page. Errors with an allowed code (or from the faults
        around: worker_crashed, unavailable) are answers; anything else is counted."""
        deadline = time.monotonic() + FAULT_REPLY_TIMEOUT_S
        left = dict(wanted)
        while left:
            reply = read_reply(sock, deadline)
            if reply is None:
                for rid in left:
                    self.counters.add("lost replies", f"fault request {rid}")
                return
            if "chunk" in reply:
                continue
            rid = reply.get("id")
            if rid not in left:
                self.counters.add("mixed replies", f"unexpected id {rid}")
                continue
            token, allowed_codes = left.pop(rid)
            if reply.get("ok"):
                if token is not None and token not in reply.get("html", ""):
                    self.counters.add("mixed replies", token)
            else:
                code = reply.get("error", {}).get("code")
                if code not in allowed_codes | {"worker_crashed", "unavailable"}:
                    self.counters.add(f"fault error {code}")

    FAULTS = [  # (name, weight)
        ("kill_worker", 12), ("replace_bundle", 6), ("cut_mid_frame", 20),
        ("gone_in_flight", 15), ("cancel", 20), ("timeout", 15), ("client_gives_up", 12),
    ]

    def fault_thread(self):
        names = [n for n, _ in self.FAULTS]
        weights = [w for _, w in self.FAULTS]
        while not self.stop.wait(self.rng.uniform(1.0, 6.0)):
            name = self.rng.choices(names, weights)[0]
            try:
                getattr(self, "fault_" + name)()
                self.counters.add("fault " + name)
            except OSError as exc:
                self.counters.add("fault errors (OSError)", f"{name}: {exc}")

    # -- sampling --------------------------------------------------------------------------

    def sample(self, t):
        stats = self.raw_stats() or {}
        workers = []
        for w in stats.get("workers", []):
            pid = w.get("pid")
            workers.append({"pid": pid, "served": w.get("served", 0), "rss": w.get("rss", 0),
                            "fds": fd_count(pid) if pid else None})
        self.samples.append((t, proc_status(self.proc.pid, "VmRSS"), fd_count(self.proc.pid),
                             workers))

    def run(self):
        self.start()
        time.sleep(1)
        fds_before = fd_count(self.proc.pid)
        self.kinds_before = fd_targets(self.proc.pid)
        started = time.monotonic()
        duration = self.args.minutes * 60
        threads = [threading.Thread(target=self.load_thread, args=(i,), daemon=True)
                   for i in range(self.args.clients)]
        threads.append(threading.Thread(target=self.fault_thread, daemon=True))
        for th in threads:
            th.start()
        next_sample = 0.0
        while (t := time.monotonic() - started) < duration:
            if t >= next_sample:
                self.sample(t)
                next_sample += self.args.sample_s
                print(f"soak: {t / 60:5.1f} min, {self.counters.get('renders ok')} renders, "
                      f"lost {self.counters.get('lost replies')}, "
                      f"mixed {self.counters.get('mixed replies')}", flush=True)
            time.sleep(0.5)
        self.stop.set()
        for th in threads:
            th.join(LOAD_TIMEOUT_S + FAULT_REPLY_TIMEOUT_S + 5)
        # Quiet: every client gone, every worker ready. Then the daemon's descriptors.
        time.sleep(3)
        self.sample(time.monotonic() - started)
        workers_after = len(self.worker_pids())
        # The daemon closes a connection when it reads the end of it, a moment after the peer
        # closed: wait for the count to settle, opening no connection meanwhile.
        fds_after = fd_count(self.proc.pid)
        for _ in range(20):
            time.sleep(0.5)
            if fd_count(self.proc.pid) == fds_after and fds_after == fds_before:
                break
            fds_after = fd_count(self.proc.pid)
        self.kinds_after = fd_targets(self.proc.pid)
        if fds_after != fds_before:
            self.socket_detail = subprocess.run(["ss", "-xp"], capture_output=True,
                                                text=True).stdout
            mine = [l for l in self.socket_detail.splitlines() if f"pid={self.proc.pid}," in l]
            peers = {l.split()[-2] for l in mine if len(l.split()) > 2}
            self.socket_detail = "\n".join(
                l for l in self.socket_detail.splitlines()
                if l in mine or (len(l.split()) > 5 and l.split()[5] in peers))
        self.stop_daemon()
        return self.report(fds_before, fds_after, workers_after, time.monotonic() - started)

    # -- the report ------------------------------------------------------------------------

    def worker_slopes(self):
        """Per worker pid: (renders served, rss growth in KB per render from its 100th on)."""
        series = {}
        for _, _, _, workers in self.samples:
            for w in workers:
                if w["pid"] and w["rss"] and w["served"] >= 100:
                    series.setdefault(w["pid"], []).append((w["served"], w["rss"]))
        slopes = {}
        for pid, points in series.items():
            if len(points) < 3 or points[-1][0] - points[0][0] < 200:
                continue
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            mx, my = statistics.fmean(xs), statistics.fmean(ys)
            den = sum((x - mx) ** 2 for x in xs)
            slopes[pid] = (xs[-1], sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den / 1024)
        return slopes

    def report(self, fds_before, fds_after, workers_after, elapsed):
        c = self.counters
        warm = [s for s in self.samples if s[0] >= elapsed / 10] or self.samples
        ssrd_rss_warm, ssrd_rss_end = warm[0][1], self.samples[-1][1]
        slopes = self.worker_slopes()
        worker_fds = sorted({w["fds"] for s in self.samples for w in s[3] if w["fds"]})
        lines = [
            "## Soak",
            "",
            f"`tools/bench/soak.py --minutes {self.args.minutes:g} --workers {self.args.workers} "
            f"--clients {self.args.clients} --seed {self.args.seed}`, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {elapsed / 60:.1f} minutes of "
            "mixed renders of the React example (ProductPage, Tiny with and without hydration, "
            "ReactChecklist) through one ssrd, with a fault every 1-6 s at random.",
            "",
            "| fault | injected |",
            "|---|---|",
        ]
        for name, _ in self.FAULTS:
            lines.append(f"| {name.replace('_', ' ')} | {c.get('fault ' + name)} |")
        lines += [
            "",
            "| what must not happen | count |",
            "|---|---|",
            f"| lost replies | {c.get('lost replies')} |",
            f"| mixed-up replies | {c.get('mixed replies')} |",
            f"| leaked descriptors in ssrd (after - before, {workers_after} workers both times) "
            f"| {fds_after - fds_before} ({fds_before} -> {fds_after}) |",
            "",
            f"Renders answered ok: {c.get('renders ok')}. Other answers, by code: "
            + (", ".join(f"{k[len('load error '):]} {v}" for k, v in sorted(c.values.items())
                         if k.startswith("load error")) or "none")
            + ". Fault requests answered with an unexpected code: "
            + (", ".join(f"{k[len('fault error '):]} {v}" for k, v in sorted(c.values.items())
                         if k.startswith("fault error ")) or "none") + ".",
            "",
            f"Memory: ssrd's RSS {ssrd_rss_warm / 2**20:.1f} MiB after warm-up (first tenth), "
            f"{ssrd_rss_end / 2**20:.1f} MiB at the end. Worker descriptors seen: "
            f"{', '.join(map(str, worker_fds)) or '-'}. Workers live until a kill or a reload "
            f"replaces them; each one's RSS growth per render served, from its 100th render on "
            f"({len(slopes)} workers served enough to measure): "
            + (f"median {statistics.median(s for _, s in slopes.values()):.1f} KB/render, "
               f"range {min(s for _, s in slopes.values()):.1f} to "
               f"{max(s for _, s in slopes.values()):.1f}, longest-lived "
               f"{max(n for n, _ in slopes.values())} renders." if slopes else "none measured."),
        ]
        if fds_after != fds_before:
            changed = {k: (self.kinds_before.get(k, 0), self.kinds_after.get(k, 0))
                       for k in set(self.kinds_before) | set(self.kinds_after)
                       if self.kinds_before.get(k, 0) != self.kinds_after.get(k, 0)}
            lines.append(f"\nDescriptors that changed (kind: before, after): {changed}")
            print("ssrd's sockets at the end:\n" + getattr(self, "socket_detail", ""))
        for name in ("lost replies", "mixed replies", "fault errors (OSError)"):
            for example in c.examples.get(name, []):
                lines.append(f"\n- {name}: `{example}`")
        text = "\n".join(lines) + "\n"
        print(text)
        if self.args.report:
            with open(self.args.report, "w") as f:
                f.write(text)
        failed = c.get("lost replies") or c.get("mixed replies") or fds_after != fds_before
        return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample-s", type=float, default=10)
    parser.add_argument("--ssrd", default=os.path.join(ROOT, "build", "bin", "ssrd"))
    parser.add_argument("--bundle", default=os.path.join(ROOT, "examples", "react-app", "dist",
                                                         "server.mjs"))
    parser.add_argument("--report", help="also write the Markdown section here")
    args = parser.parse_args()
    soak = Soak(args)
    try:
        return soak.run()
    finally:
        if getattr(soak, "proc", None) is not None and soak.proc.poll() is None:
            soak.proc.kill()
        shutil.rmtree(soak.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
