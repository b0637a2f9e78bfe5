"""One multiplexed connection to the daemon: many threads, many requests in flight, one socket.

Writes are serialised by a lock so every frame goes out whole (frames never interleave); one
reader thread reads reply frames and hands each to the request waiting for its id. Replies may
come in any order.

Failure: when the socket fails or the daemon closes it, the connection becomes ``dead``: every
waiting request fails with ``unavailable`` and later sends raise ``ConnectionError``. A dead
connection is never revived; the client replaces it.

Fork: a Connection belongs to the process that opened it (``pid``). ``abandon()`` is the only
call a forked child may make on its parent's connection; it closes the child's copy of the
descriptor without shutdown(), which would end the parent's connection too.
"""
import itertools
import os
import socket
import threading

from . import protocol
from .errors import SsrdError


class _Waiter:
    """One request in flight: the reader thread fills it, the caller waits on it."""

    __slots__ = ("event", "reply", "error")

    def __init__(self):
        self.event = threading.Event()
        self.reply = None
        self.error = None


class Connection:
    def __init__(self, path, connect_timeout):
        self.pid = os.getpid()
        self.path = path
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(connect_timeout)
            sock.connect(path)
            # Blocking from here on: the reader thread waits for replies without a deadline;
            # deadlines are per request, enforced by the waiting caller.
            sock.settimeout(None)
        except OSError:
            sock.close()
            raise
        self._sock = sock
        self._write_lock = threading.Lock()
        self._lock = threading.Lock()  # guards _waiters and _dead
        self._waiters = {}
        self._dead = None  # the reason, once dead
        self._ids = itertools.count(1)
        self._reader = threading.Thread(target=self._read_loop, name="ssrd-client-reader",
                                        daemon=True)
        self._reader.start()

    @property
    def dead(self):
        return self._dead is not None

    def send(self, message):
        """Sends one request (its "id" is assigned here) and returns (id, waiter).

        Raises ConnectionError if the connection is dead or the write fails; the request was then
        not delivered as a whole frame and may safely be sent again elsewhere.
        """
        waiter = _Waiter()
        with self._lock:
            if self._dead is not None:
                raise ConnectionError(self._dead)
            request_id = next(self._ids)
            self._waiters[request_id] = waiter
        message["id"] = request_id
        frame = protocol.encode_frame(message)
        try:
            with self._write_lock:
                self._sock.sendall(frame)
        except OSError as exc:
            self._kill(f"cannot write to ssrd at {self.path}: {exc}")
            raise ConnectionError(str(exc)) from exc
        return request_id, waiter

    def forget(self, request_id):
        """Stops waiting for a request (its deadline passed); a late reply is dropped."""
        with self._lock:
            self._waiters.pop(request_id, None)

    def send_no_reply(self, message):
        """Best-effort fire-and-forget (used for cancel): its reply is dropped when it comes."""
        try:
            self.send(message)
        except ConnectionError:
            pass
        else:
            self.forget(message["id"])

    def close(self):
        """Closes the connection from the process that owns it; waiting requests fail."""
        if os.getpid() != self.pid:
            self.abandon()
            return
        self._kill("client closed")
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the reader thread
        except OSError:
            pass
        self._sock.close()
        if self._reader is not threading.current_thread():
            self._reader.join(timeout=5)

    def abandon(self):
        """For a forked child: drop this process's copy of the descriptor. close() on a
        descriptor only removes it from this process's table, so the parent's connection is
        untouched; shutdown() would end it for both, so it is never called here."""
        try:
            self._sock.close()
        except OSError:
            pass

    # -- reader thread ------------------------------------------------------------------------

    def _read_exactly(self, n):
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            count = self._sock.recv_into(view[got:], n - got)
            if count == 0:
                raise ConnectionError("ssrd closed the connection")
            got += count
        return bytes(buf)

    def _read_loop(self):
        try:
            while True:
                length = protocol.frame_length(self._read_exactly(protocol.HEADER_SIZE))
                if length == 0 or length > protocol.MAX_FRAME_BYTES:
                    raise ConnectionError(f"corrupt reply frame (length {length})")
                reply = protocol.decode_payload(self._read_exactly(length))
                self._deliver(reply)
        except (OSError, ValueError) as exc:
            self._kill(f"connection to ssrd at {self.path} lost: {exc}")

    def _deliver(self, reply):
        request_id = reply.get("id")
        if request_id == 0 and not reply.get("ok", False):
            # An error about a frame whose id the daemon could not read: the daemon closes the
            # connection after it, so every request in flight is lost.
            err = reply.get("error") or {}
            self._kill(f"ssrd rejected a frame: {err.get('code')}: {err.get('message')}",
                       code=err.get("code") or "internal")
            return
        with self._lock:
            waiter = self._waiters.pop(request_id, None)
        if waiter is not None:  # None: the caller gave up (timeout) or it was a cancel's reply
            waiter.reply = reply
            waiter.event.set()

    def _kill(self, reason, code="unavailable"):
        with self._lock:
            if self._dead is None:
                self._dead = reason
            waiters, self._waiters = self._waiters, {}
        for waiter in waiters.values():
            waiter.error = SsrdError(code, reason)
            waiter.event.set()
