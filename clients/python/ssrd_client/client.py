"""The ssrd client: render components over the daemon's Unix socket.

Thread-safe: any number of threads may share one Client; their requests are multiplexed by id
over ``pool_size`` connections (one by default), never interleaved. Writes are combined: frames
that several threads queue while one of them is writing leave together in that thread's next
write (see connection.py), so a call may write other threads' requests before waiting for its
own reply.

Fork-safe: a Client remembers the process that opened its connections. In a forked child
(gunicorn workers, multiprocessing) it never uses, shuts down or reads its parent's sockets; it
drops them and opens its own connection on first use. An ``os.register_at_fork`` hook resets the
state eagerly; a pid check on every call covers forks that skip the hook.

Connection loss (daemon restarted, killed): requests in flight fail with ``unavailable``; the
next call opens a new connection. A request whose frame never left whole (the connection was
already gone, or died while the frame was queued or partly written) is retried once on a fresh
connection.
"""
import itertools
import math
import os
import threading
import time
import weakref
from dataclasses import dataclass, field

from .connection import Connection
from .errors import SsrdError, SsrdTimeout, error_from_reply

_clients = weakref.WeakSet()


def _after_fork_in_child():
    for client in list(_clients):
        client._reset_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def default_socket_path():
    """The daemon's default: $XDG_RUNTIME_DIR/ssrd.sock, else /tmp/ssrd-<uid>.sock."""
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    if runtime_dir:
        return os.path.join(runtime_dir, "ssrd.sock")
    return f"/tmp/ssrd-{os.getuid()}.sock"


@dataclass
class RenderResult:
    html: str = ""
    head: str = ""
    status: int = 200
    script: str = ""  # the hydration <script> element ("" unless hydrate=True)
    console: list = field(default_factory=list)  # [(level, text), ...] logged by the render


def _render_request(component, props, *, hydrate, hydrate_id, hydrate_global, nonce, combine,
                    url):
    if not isinstance(component, str):
        raise TypeError("component must be a str")
    if props is not None and not isinstance(props, dict):
        raise TypeError("props must be a dict or None")
    request = {"v": 1, "op": "render", "component": component}
    if props is not None:
        request["props"] = props
    if url is not None:
        request["url"] = url
    # Sent with or without hydrate: the bundle gets it too (request.nonce), for the inline
    # scripts of a streaming renderer.
    if nonce is not None:
        request["nonce"] = nonce
    if hydrate:
        request["hydrate"] = True
        if hydrate_id is not None:
            request["hydrate_id"] = hydrate_id
        if hydrate_global is not None:
            request["hydrate_global"] = hydrate_global
        if combine:
            request["combine"] = True
    return request


def _result_of(reply, html=None):
    return RenderResult(
        html=reply.get("html", "") if html is None else html,
        head=reply.get("head", ""),
        status=reply.get("status", 200),
        script=reply.get("script", ""),
        console=[tuple(entry) for entry in reply.get("console") or []],
    )


class RenderStream:
    """A streamed render (Client.render_stream): iterate it once for the html pieces; then
    ``result`` is the RenderResult of the final reply (html ""). Not thread-safe."""

    def __init__(self, client, request, timeout):
        self._client = client
        self._request = request
        self._timeout = timeout
        self._started = False
        self.result = None

    def __iter__(self):
        if self._started:
            raise RuntimeError("a RenderStream can be iterated only once")
        self._started = True
        return self._pieces()

    def _pieces(self):
        client = self._client
        timeout, deadline = client._deadline(self._request, self._timeout)
        for attempt in (0, 1):
            conn = client._connection(timeout if timeout is not None else 30.0)
            try:
                request_id, waiter = conn.send(dict(self._request), streaming=True)
            except ConnectionError as exc:
                if attempt == 1:
                    raise SsrdError("unavailable", f"cannot reach ssrd: {exc}") from exc
                continue  # nothing was sent: safe to send again on a new connection
            yielded = settled = False
            try:
                while not settled:
                    chunks, settled = conn.take_chunks(waiter)
                    for html in chunks:
                        yielded = True
                        yield html
                    if chunks or settled:
                        continue
                    left = None if deadline is None else max(0.0, deadline - time.monotonic())
                    if not waiter.event.wait(left):
                        raise SsrdTimeout(f"no end of the stream from ssrd within {timeout:g} s")
            finally:
                if not settled:  # timed out, or the consumer left early: stop the render
                    conn.forget(request_id)
                    conn.send_no_reply({"v": 1, "op": "cancel", "target": request_id})
            if waiter.error is not None:
                if waiter.not_sent and attempt == 0 and not yielded:
                    continue
                raise waiter.error
            reply = waiter.reply
            if not reply.get("ok", False):
                raise error_from_reply(reply)
            self.result = _result_of(reply, html="")
            if reply.get("html"):
                yield reply["html"]
            return


class Client:
    def __init__(self, socket_path=None, timeout=30.0, pool_size=1, token=None):
        """socket_path: a Unix socket path (default: as ssrd's) or "tcp://HOST:PORT" (also
        "tcp://[::1]:9000"); token: sent in an ``auth`` frame on every new connection, before
        any request (needed on TCP when ssrd has --auth-token-file; a Unix socket answers it
        ok). A refused token raises SsrdError with code ``unauthorized`` from the call that
        connected."""
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self.socket_path = socket_path or default_socket_path()
        self.token = token
        self.timeout = timeout
        self.pool_size = pool_size
        self._init_state()
        _clients.add(self)

    def _init_state(self):
        self._pid = os.getpid()
        self._lock = threading.Lock()  # guards _connections
        self._connections = [None] * self.pool_size
        self._next_slot = itertools.count()

    def _reset_after_fork(self):
        """In a forked child: forget the parent's connections without touching them. The
        locks are replaced too: another parent thread may have held one at the fork."""
        old = self._connections
        self._init_state()
        for conn in old:
            if conn is not None:
                conn.abandon()

    # -- public API ---------------------------------------------------------------------------

    def render(self, component, props=None, *, hydrate=False, hydrate_id=None,
               hydrate_global=None, nonce=None, combine=False, url=None, timeout=None):
        """Renders ``component`` with ``props`` (a dict of MessagePack-able data).

        hydrate: ask the daemon for the hydration <script> (returned in ``script``);
        hydrate_id / hydrate_global / nonce: its element id (default "ssrd-data"), global name,
        CSP nonce (given to the bundle as ``request.nonce`` too, with or without hydrate);
        combine: the daemon appends the script to ``html`` as well.
        Raises SsrdTimeout past ``timeout`` seconds (default: the client's), SsrdError otherwise.
        """
        request = _render_request(component, props, hydrate=hydrate, hydrate_id=hydrate_id,
                                  hydrate_global=hydrate_global, nonce=nonce, combine=combine,
                                  url=url)
        return _result_of(self._call(request, timeout))

    def render_stream(self, component, props=None, *, hydrate=False, hydrate_id=None,
                      hydrate_global=None, nonce=None, combine=False, url=None, timeout=None):
        """Renders like ``render``, with the html as a stream (docs/protocol.md, "Streaming").

        Returns a RenderStream: iterating it yields the page's html as pieces of str, as they
        arrive (the last piece comes from the final reply; with ``combine`` it ends with the
        hydration script); once the iteration has ended, its ``result`` holds head, status,
        script and console (and an empty html). Errors are raised from the iteration, also after
        some pieces were yielded (those are then not a page). ``timeout`` bounds the whole
        stream. Leaving the iteration early (break, close(), an exception in the consumer)
        cancels the render at the daemon. Nothing is sent before the iteration starts.
        """
        request = _render_request(component, props, hydrate=hydrate, hydrate_id=hydrate_id,
                                  hydrate_global=hydrate_global, nonce=nonce, combine=combine,
                                  url=url)
        request["stream"] = True
        return RenderStream(self, request, timeout)

    def ping(self, timeout=None):
        """Returns the protocol version the daemon speaks (1)."""
        return self._call({"v": 1, "op": "ping"}, timeout).get("protocol", 1)

    def stats(self, timeout=None):
        """Returns the daemon's counters as a dict of str -> int."""
        return dict(self._call({"v": 1, "op": "stats"}, timeout).get("stats") or {})

    def close(self):
        """Closes this process's connections; requests in flight fail with ``unavailable``.
        A later call reconnects."""
        self._check_fork()
        with self._lock:
            conns, self._connections = self._connections, [None] * self.pool_size
        for conn in conns:
            if conn is not None:
                conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- internals ----------------------------------------------------------------------------

    def _check_fork(self):
        if self._pid != os.getpid():
            self._reset_after_fork()

    def _connection(self, timeout):
        self._check_fork()
        slot = next(self._next_slot) % self.pool_size
        with self._lock:
            conn = self._connections[slot]
            if conn is not None and not conn.dead:
                return conn
            try:
                conn = Connection(self.socket_path, connect_timeout=max(0.1, min(timeout, 5.0)),
                                  token=self.token)
            except (OSError, ValueError) as exc:
                raise SsrdError("unavailable",
                                f"cannot connect to ssrd at {self.socket_path}: {exc}") from exc
            old, self._connections[slot] = self._connections[slot], conn
        if old is not None:
            old.close()
        return conn

    def _deadline(self, request, timeout):
        """The call's timeout in seconds (or None) and its monotonic deadline; a render is told
        the same deadline, so the daemon stops working on it when the caller gives up."""
        timeout = self.timeout if timeout is None else timeout
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be positive")
        if timeout is not None and request["op"] == "render":
            request["timeout_ms"] = max(1, math.ceil(timeout * 1000))
        return timeout, None if timeout is None else time.monotonic() + timeout

    def _call(self, request, timeout):
        timeout, deadline = self._deadline(request, timeout)
        for attempt in (0, 1):
            conn = self._connection(timeout if timeout is not None else 30.0)
            try:
                request_id, waiter = conn.send(dict(request))
            except ConnectionError as exc:
                # The connection was already dead, nothing was sent: safe to send again on a
                # new connection.
                if attempt == 1:
                    raise SsrdError("unavailable", f"cannot reach ssrd: {exc}") from exc
                continue
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not waiter.event.wait(left):
                conn.forget(request_id)
                conn.send_no_reply({"v": 1, "op": "cancel", "target": request_id})
                raise SsrdTimeout(f"no reply from ssrd within {timeout:g} s")
            if waiter.error is not None:
                # The connection died before the frame left whole (it may have been queued
                # behind another thread's write): as above, one more try is safe.
                if waiter.not_sent and attempt == 0:
                    continue
                raise waiter.error
            break
        reply = waiter.reply
        if not reply.get("ok", False):
            raise error_from_reply(reply)
        return reply
