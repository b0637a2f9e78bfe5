"""Test helpers that drive real processes: ssrd and gunicorn on temp-dir sockets / loopback.

Every wait is bounded and every process started here is stopped by the test that started it
(register ``stop`` with addCleanup right after ``start``): SIGTERM, then SIGKILL after a grace
period, then reaped. Children write stdout/stderr to files in the temp dir, never to pipes that
could fill up and block them.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CLIENT_DIR = os.path.join(REPO, "clients", "python")
ECHO_BUNDLE = os.path.join(REPO, "tests", "integration", "bundles", "echo.mjs")
FAULTS_BUNDLE = os.path.join(REPO, "tests", "integration", "bundles", "faults.mjs")
STREAMING_BUNDLE = os.path.join(REPO, "tests", "integration", "bundles", "streaming.mjs")
REACT_BUNDLE = os.path.join(REPO, "examples", "react-app", "dist", "server.mjs")
DJANGO_APP = os.path.join(REPO, "examples", "django-app")
VECTORS = os.path.join(REPO, "tests", "vectors", "hydration.json")
VECTOR_BUNDLE = os.path.join(REPO, "tests", "vectors", "hydration_bundle.mjs")


def ssrd_binary():
    path = os.environ.get("SSRD_BIN") or os.path.join(REPO, "build", "bin", "ssrd")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"ssrd binary not found at {path} (build first, or set SSRD_BIN)")
    return path


def wait_until(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pids_with_cmdline(needle):
    """Pids of live (non-zombie) processes whose command line contains ``needle``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in cmdline and state != "Z":
            found.append(int(entry))
    return found


def children_of(pid):
    pids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                pids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return pids


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class _Process:
    """A child process with logs in ``tmp``; ``stop()`` is idempotent and bounded."""

    def __init__(self, name, tmp):
        self.name = name
        self.tmp = tmp
        self.proc = None

    def _spawn(self, argv, env=None, cwd=None):
        self.out_path = os.path.join(self.tmp, f"{self.name}.out")
        self.err_path = os.path.join(self.tmp, f"{self.name}.err")
        with open(self.out_path, "ab") as out, open(self.err_path, "ab") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         env=env, cwd=cwd)

    def logs(self):
        text = ""
        for path in (getattr(self, "out_path", None), getattr(self, "err_path", None)):
            if path and os.path.exists(path):
                with open(path, errors="replace") as f:
                    text += f.read()[-4000:]
        return text

    def stop(self, grace=10.0):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


class Daemon(_Process):
    """ssrd on a socket in a temp dir."""

    def __init__(self, tmp, bundle, workers=2, socket_name="ssrd.sock", extra_args=()):
        super().__init__("ssrd", tmp)
        self.bundle = bundle
        self.workers = workers
        self.socket_path = os.path.join(tmp, socket_name)
        self.extra_args = list(extra_args)

    def start(self, timeout=30.0):
        self._spawn([ssrd_binary(), "--bundle", self.bundle, "--socket", self.socket_path,
                     "--workers", str(self.workers), "--log-level", "warn"] + self.extra_args)
        if not wait_until(self._ready, timeout):
            self.stop()
            raise RuntimeError(f"ssrd did not become ready within {timeout} s:\n{self.logs()}")
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"ssrd exited with {self.proc.returncode}:\n{self.logs()}")
        from ssrd_client import Client, SsrdError
        try:
            with Client(self.socket_path, timeout=2.0) as c:
                c.ping()
            return True
        except SsrdError:
            return False

    def worker_pids(self):
        return children_of(self.proc.pid) if self.proc else []


class Gunicorn(_Process):
    """The Django example under gunicorn on 127.0.0.1:<free port>."""

    def __init__(self, tmp, socket_path, workers=3, threads=4, extra_env=None):
        super().__init__("gunicorn", tmp)
        self.extra_env = dict(extra_env or {})
        self.socket_path = socket_path
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.bind = f"127.0.0.1:{self.port}"
        self.base_url = f"http://{self.bind}"

    def start(self, timeout=30.0):
        env = dict(os.environ)
        env["SSRD_SOCKET"] = self.socket_path
        # --preload + a ping at import: the master holds a client connection when it forks,
        # so every worker starts with an inherited socket it must not use.
        env["SSRD_PRELOAD_PING"] = "1"
        env["PYTHONPATH"] = os.pathsep.join([CLIENT_DIR, DJANGO_APP])
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update(self.extra_env)
        # Debian's interpreter: gunicorn, Django and msgpack are Debian packages.
        self._spawn(["/usr/bin/python3", "-m", "gunicorn", "--workers", str(self.workers),
                     "--threads", str(self.threads), "--bind", self.bind,
                     "--graceful-timeout", "5", "--preload", "--chdir", DJANGO_APP,
                     "exampleproject.wsgi:application"], env=env)
        if not wait_until(self._ready, timeout, interval=0.1):
            self.stop()
            raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.logs()}")
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.logs()}")
        if len(children_of(self.proc.pid)) < self.workers:
            return False  # the master listens before its workers have booted
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False


def make_tmp(test):
    tmp = tempfile.mkdtemp(prefix="ssrd-py-")
    test.addCleanup(shutil.rmtree, tmp, True)
    return tmp


def start_daemon(test, bundle, **kwargs):
    daemon = Daemon(make_tmp(test), bundle, **kwargs)
    test.addCleanup(daemon.stop)
    return daemon.start()


def write_django_templates(templates, prefix):
    """Writes {name: text} into a new folder and configures Django for this process, once (the
    first test class to run does it; every test then overrides the settings it needs)."""
    import django
    from django.conf import settings
    folder = tempfile.mkdtemp(prefix=prefix)
    for name, text in templates.items():
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)
    if not settings.configured:
        settings.configure(INSTALLED_APPS=["ssrd_django"], TEMPLATES=[], SSRD={})
        django.setup()
    return folder


def serve_django_from(test, bundle, templates):
    """Starts ssrd on `bundle` and points ssrd_django and Django's templates (the folder
    `templates`) at it for the duration of `test`. Returns the daemon."""
    from django.test import override_settings
    import ssrd_django.client
    daemon = start_daemon(test, bundle, workers=1)
    # TEMPLATES too: another test class may have configured Django in this process first.
    override = override_settings(
        SSRD={"SOCKET": daemon.socket_path, "TIMEOUT": 10.0},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                    "DIRS": [templates]}])
    override.enable()
    test.addCleanup(override.disable)
    ssrd_django.client._client = None  # built from the settings above on first use
    test.addCleanup(setattr, ssrd_django.client, "_client", None)
    test.addCleanup(lambda: ssrd_django.client._client and ssrd_django.client._client.close())
    return daemon


if CLIENT_DIR not in sys.path:
    sys.path.insert(0, CLIENT_DIR)
