"""One multiplexed connection to the daemon: many threads, many requests in flight, one socket.

Writes are combined: ``send`` appends the whole frame to an outbox; if no thread is writing, the
caller becomes the writer and writes the outbox, then whatever other threads queued meanwhile,
one buffer per write, until the outbox is empty. Otherwise ``send`` returns at once and the
current writer sends the frame with its next write. So frames that pile up while a write is in
progress leave together, never interleaved, and a thread may write other threads' requests
inside its own ``send``.

One reader thread reads up to 256 KiB at a time and hands every whole reply in it to the
request waiting for its id, waking each waiting caller once. Replies may come in any order.

Failure: when the socket fails or the daemon closes it, the connection becomes ``dead``: every
waiting request fails with ``unavailable`` and later sends raise ``ConnectionError``. A waiter
whose frame never left whole (it was still queued, or only part of it was written) also has
``not_sent`` set: sending it again elsewhere is safe. A dead connection is never revived; the
client replaces it.

Fork: a Connection belongs to the process that opened it (``pid``). ``abandon()`` is the only
call a forked child may make on its parent's connection; it takes no lock (a parent thread may
have held one at the fork) and closes the child's copy of the descriptor without shutdown(),
which would end the parent's connection too.
"""
import itertools
import os
import socket
import threading

from . import protocol
from .errors import SsrdError

# A read takes whatever the socket holds, up to this: under load many replies arrive together,
# and each recv is a system call and a trip through the interpreter.
READ_BUFFER_BYTES = 256 * 1024


class _Waiter:
    """One request in flight: the reader (or the writer, on failure) fills it, the caller waits
    on it. ``not_sent``: with ``error``, the frame certainly never reached the daemon whole."""

    __slots__ = ("event", "reply", "error", "not_sent", "batch", "chunks")

    def __init__(self, streaming=False):
        self.event = threading.Event()
        self.reply = None
        self.error = None
        self.not_sent = False
        self.batch = 0  # the number of the batch that holds the frame
        # A streamed render: the html of chunk frames not yet taken (take_chunks); None otherwise.
        self.chunks = [] if streaming else None


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
        self._ids = itertools.count(1)  # next() on a count is atomic under the GIL
        self._lock = threading.Lock()  # guards everything below
        self._waiters = {}
        self._dead = None  # the reason, once dead
        self._dead_code = "unavailable"  # the error code the waiting requests get
        self._outbox = []  # [(frame, waiter or None)] waiting for the writer
        self._open_batch = 1  # the number the outbox's batch will have
        # The number of the batch being written; 0 when no thread is the writer. The writer takes
        # the outbox in the critical section that makes it the writer, and gives the role up in
        # the one where it finds the outbox empty, so this is also the "a writer exists" flag.
        self._writing_batch = 0
        self._frames_queued = 0
        self._writes = 0
        self._reads = 0
        self._reader = threading.Thread(target=self._read_loop, name="ssrd-client-reader",
                                        daemon=True)
        self._reader.start()

    @property
    def dead(self):
        return self._dead is not None

    def stats(self):
        """Counts since the connection opened, for tests and debugging: frames queued, and the
        send() and recv() calls (that returned bytes) that moved them."""
        with self._lock:
            return {"frames_queued": self._frames_queued, "writes": self._writes,
                    "reads": self._reads}

    def send(self, message, streaming=False):
        """Queues one request (its "id" is assigned here) and returns (id, waiter).

        streaming: the request asks for a stream; the html of its chunk frames gathers in the
        waiter (take_chunks) and its ``event`` is set for each, until the final reply.

        Raises ConnectionError if the connection is already dead: nothing was sent, so the request
        may be sent again elsewhere. A write that fails later reaches the waiter instead (``error``,
        and ``not_sent`` when the frame did not leave whole). Returns at once unless this thread
        becomes the writer.
        """
        waiter = _Waiter(streaming)
        request_id = self._enqueue(message, waiter)
        return request_id, waiter

    def take_chunks(self, waiter):
        """A streamed request's chunks that arrived since the last call (a list of str), and
        whether the waiter is settled (reply or error). With nothing to take and nothing settled,
        the waiter's event is cleared, so that waiting on it wakes for the next arrival."""
        with self._lock:
            chunks, waiter.chunks = waiter.chunks, []
            settled = waiter.reply is not None or waiter.error is not None
            if not chunks and not settled:
                waiter.event.clear()
        return chunks, settled

    def forget(self, request_id):
        """Stops waiting for a request (its deadline passed); a late reply is dropped."""
        with self._lock:
            self._waiters.pop(request_id, None)

    def send_no_reply(self, message):
        """Best-effort fire-and-forget (used for cancel): its reply is dropped when it comes."""
        try:
            self._enqueue(message, None)
        except ConnectionError:
            pass

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

    # -- writing ------------------------------------------------------------------------------

    def _enqueue(self, message, waiter):
        request_id = next(self._ids)
        message["id"] = request_id
        frame = protocol.encode_frame(message)  # outside the lock: it may be large
        with self._lock:
            if self._dead is not None:
                raise ConnectionError(self._dead)
            self._frames_queued += 1
            if waiter is not None:
                waiter.batch = self._open_batch
                self._waiters[request_id] = waiter
            self._outbox.append((frame, waiter))
            if self._writing_batch:
                return request_id  # the writer sends it with the rest
            batch = self._take_outbox()
        self._write_batches(batch)
        return request_id

    def _take_outbox(self):
        """Under the lock: the writer takes every queued frame as the next batch."""
        batch, self._outbox = self._outbox, []
        self._writing_batch = self._open_batch
        self._open_batch += 1
        return batch

    def _write_batches(self, batch):
        """The writer's loop: one buffer per batch, until nothing is queued or the connection is
        dead. Settles the waiters of a batch the connection died under."""
        while True:
            data = b"".join(frame for frame, _ in batch)
            written, error, writes, interrupted = 0, None, 0, None
            try:
                with memoryview(data) as view:
                    while written < len(data):  # send() may take part (EINTR is retried inside)
                        writes += 1
                        written += self._sock.send(view[written:])
            except OSError as exc:
                error = exc
            except BaseException as exc:  # KeyboardInterrupt: settle everyone, then let it go on
                error = interrupted = exc
            wake = []
            with self._lock:
                self._writes += writes
                if error is not None:
                    # Part of a frame may be on the wire: the stream is out of sync, drop it.
                    wake += self._kill_locked(f"cannot write to ssrd at {self.path}: {error}")
                if self._dead is not None:
                    # _kill_locked left this batch to us: only here is it known which frames left
                    # whole (they may have reached the daemon) and which did not.
                    end = 0
                    for frame, waiter in batch:
                        end += len(frame)
                        if waiter is None or waiter.reply is not None or waiter.error is not None:
                            continue  # a cancel, or answered before the connection died
                        waiter.not_sent = end > written
                        waiter.error = SsrdError(self._dead_code, self._dead)
                        wake.append(waiter)
                if self._dead is not None or not self._outbox:
                    self._writing_batch = 0
                    batch = None
                else:
                    batch = self._take_outbox()  # queued while we wrote: all in the next write
            for waiter in wake:
                waiter.event.set()
            if interrupted is not None:
                raise interrupted
            if batch is None:
                return

    # -- reader thread ------------------------------------------------------------------------

    def _read_loop(self):
        buf = bytearray(READ_BUFFER_BYTES)
        data = bytearray()  # received and not yet consumed
        try:
            with memoryview(buf) as view:
                while True:
                    count = self._sock.recv_into(view)
                    if count == 0:
                        raise ConnectionError("ssrd closed the connection")
                    self._reads += 1  # only this thread writes it
                    data += view[:count]
                    consumed = self._deliver_frames(data)
                    del data[:consumed]  # cheap: bytearray drops a prefix without copying
        except (OSError, ValueError) as exc:
            self._kill(f"connection to ssrd at {self.path} lost: {exc}")

    def _deliver_frames(self, data):
        """Decodes and delivers every whole frame at the start of ``data``; returns the bytes
        used. Frames before a corrupt one are still delivered, then the error is raised."""
        replies, pos = [], 0
        try:
            while len(data) - pos >= protocol.HEADER_SIZE:
                length = protocol.frame_length(data[pos:pos + protocol.HEADER_SIZE])
                if length == 0 or length > protocol.MAX_FRAME_BYTES:
                    raise ConnectionError(f"corrupt reply frame (length {length})")
                start = pos + protocol.HEADER_SIZE
                if len(data) - start < length:
                    break  # the rest of this frame is still on its way
                replies.append(protocol.decode_payload(data[start:start + length]))
                pos = start + length
        finally:
            self._deliver(replies)
        return pos

    def _deliver(self, replies):
        """Hands replies to their waiters under one lock, then wakes each once."""
        wake, rejected = [], None
        with self._lock:
            for reply in replies:
                request_id = reply.get("id")
                if request_id == 0 and not reply.get("ok", False):
                    # An error about a frame whose id the daemon could not read: the daemon
                    # closes the connection after it, so every request in flight is lost.
                    rejected = reply.get("error") or {}
                    break
                if "chunk" in reply:  # a piece of a streamed render: its request stays in flight
                    waiter = self._waiters.get(request_id)
                    if waiter is not None and waiter.chunks is not None:
                        waiter.chunks.append(reply["chunk"])
                        wake.append(waiter)
                    continue
                waiter = self._waiters.pop(request_id, None)
                if waiter is not None:  # None: the caller gave up, or a cancel's reply
                    waiter.reply = reply
                    wake.append(waiter)
            if rejected is not None:
                wake += self._kill_locked(
                    f"ssrd rejected a frame: {rejected.get('code')}: {rejected.get('message')}",
                    code=rejected.get("code") or "internal")
        for waiter in wake:
            waiter.event.set()

    # -- failure ------------------------------------------------------------------------------

    def _kill(self, reason, code="unavailable"):
        with self._lock:
            wake = self._kill_locked(reason, code)
        for waiter in wake:
            waiter.event.set()

    def _kill_locked(self, reason, code="unavailable"):
        """Under the lock: marks the connection dead and fails its waiters, except those in the
        batch being written (the writer settles them). Returns the waiters to wake."""
        if self._dead is not None:
            return []
        self._dead = reason
        self._dead_code = code
        wake = []
        for waiter in self._waiters.values():
            if waiter.batch == self._writing_batch:
                continue
            # Still queued: it never left. Otherwise it was written whole in an earlier batch.
            waiter.not_sent = waiter.batch == self._open_batch
            waiter.error = SsrdError(code, reason)
            wake.append(waiter)
        self._waiters = {}
        self._outbox = []
        return wake
