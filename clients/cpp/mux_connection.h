// Internal to the client library: one connected socket (Unix or TCP), the reader thread that owns its
// read side, and the calls waiting for replies on it, keyed by request id.
//
// Open() connects and starts the reader. Call() registers a waiting slot, queues the whole frame
// and blocks until the reply, the deadline or the loss of the connection.
//
// Writes are combined: a caller appends its whole frame to the outbox; if no thread is writing,
// it becomes the writer and writes the outbox, then whatever other threads queued meanwhile, one
// buffer per write, until the outbox is empty. Otherwise it goes straight to waiting for its
// reply. So frames that pile up while one write is in progress (the daemon is slow to read, or
// many threads call at once) leave in one write, never interleaved. A caller whose frame another
// thread writes never waits for that write: its deadline bounds its whole call. The writer may
// spend its own call writing other callers' frames, past its deadline while the daemon keeps
// reading (a stall of send_timeout kills the connection). A frame still queued when its caller's
// deadline passes is sent anyway; the client then sends a cancel for it.
//
// Reads: the reader reads up to 256 KiB at a time and hands out every whole reply in it under one
// lock, waking each waiting caller once.
//
// Busy polling (busy_poll > 0): for that long after the last frame was sent or replies were
// handed out, the reader looks for data without sleeping, and a caller that is alone on the
// connection watches for its reply without sleeping, both only while the CPUs are idle
// (ipc/spin_gate.h). Each sleep would otherwise cost a wake-up of an idle virtual CPU, and a call
// crosses two (the reader's read, the caller's condition variable). The condition variable stays
// the one way a caller learns its result; spinning only makes it likely that nobody sleeps.
//
// Once the connection is lost (EOF, read/write error, a write stalled for send_timeout,
// undecodable or oversized reply) it is dead for good: every waiting call fails with
// kUnavailable and later calls fail at once with *not_sent = true, so the owner opens a new one.
//
// Threads: Call/SendOnly/dead/stats may be called from any thread. The destructor shuts the
// socket down and joins the reader; it must run in the process that opened the connection, with
// no call in progress. After fork(), the child calls AbandonAfterFork() and never destroys it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <sys/types.h>

#include "ipc/error.h"
#include "ipc/frame.h"
#include "ipc/message.h"
#include "ipc/spin_gate.h"

namespace ssrd::client::detail {

class MuxConnection {
 public:
  using Clock = std::chrono::steady_clock;

  // Counts since Open, for tests and debugging: how many frames were queued and how many
  // send()/read() system calls moved them.
  struct Stats {
    std::uint64_t frames_queued = 0;
    std::uint64_t writes = 0;  // send() calls that returned, whatever they returned
    std::uint64_t reads = 0;   // read() calls that returned bytes
    std::uint64_t busy_polls = 0;  // looks for a reply without sleeping (reader and callers)
  };

  // socket_path: a Unix socket path or tcp://HOST:PORT (dial.h). send_timeout: a send() that
  // makes no progress for this long drops the connection. With an auth_token, the connection
  // authenticates before Open returns; the daemon's refusal is returned (kUnauthorized).
  static ipc::Result<std::shared_ptr<MuxConnection>> Open(const std::string& socket_path,
                                                          std::chrono::milliseconds connect_timeout,
                                                          std::chrono::milliseconds send_timeout,
                                                          std::size_t max_frame_bytes,
                                                          const std::string& auth_token = {},
                                                          std::chrono::microseconds busy_poll = {});
  ~MuxConnection();

  MuxConnection(const MuxConnection&) = delete;
  MuxConnection& operator=(const MuxConnection&) = delete;

  // `frame` is the framed request whose id is `id`; it is copied, so it may go away once Call
  // returns. On failure, *not_sent says whether the request certainly never reached the daemon
  // whole (the connection was already dead, or it died before the frame was entirely written),
  // which makes one retry on a new connection safe. A frame written whole before the connection
  // died fails with kUnavailable and *not_sent = false. kTimeout: the deadline passed.
  // With on_chunk, chunk frames of a streamed render with this id (ipc::Reply::chunk) are passed
  // to it on the calling thread, in order, while the call waits for the final reply.
  using ChunkFn = std::function<void(std::string&& html)>;
  ipc::Result<ipc::Reply> Call(std::uint64_t id, std::string_view frame, Clock::time_point deadline,
                               bool* not_sent, const ChunkFn& on_chunk = nullptr);
  // Queues a frame whose reply nobody waits for (a cancel); failures are ignored. Returns at
  // once unless this thread becomes the writer.
  void SendOnly(std::string_view frame);

  bool dead() const;
  Stats stats() const;
  // In a forked child: closes this process's copy of the socket (never shutdown(), which would
  // cut the parent's connection too). Takes no lock: a parent thread may have held one at the
  // fork. The object must then be leaked.
  void AbandonAfterFork();

 private:
  // Guarded by mu_, except `cv` (waited on with mu_).
  struct Slot {
    std::condition_variable cv;
    std::optional<ipc::Result<ipc::Reply>> result;
    std::deque<std::string> chunks;  // html of chunk frames not yet taken by the caller
    bool not_sent = false;    // with an error result: the frame never left whole
    std::uint64_t batch = 0;  // the number of the batch that holds the frame
    // Set with result or a chunk (under mu_), read without it by a spinning caller: a hint only.
    std::atomic<bool> ready{false};
  };
  // Frames in write order and, for those with a waiting caller, where each ends: after a failed
  // write, that says which frames left whole.
  struct Batch {
    struct Entry {
      std::shared_ptr<Slot> slot;
      std::size_t end = 0;
    };
    std::string bytes;
    std::vector<Entry> entries;
    void Clear() {
      // Keeps an ordinary batch's capacity, so that steady state allocates nothing, but not that
      // of a rare huge one for the connection's whole life.
      if (bytes.capacity() > 256 * 1024) {
        std::string().swap(bytes);
      } else {
        bytes.clear();
      }
      entries.clear();
    }
  };

  MuxConnection(int fd, std::string socket_path, std::size_t max_frame_bytes,
                std::chrono::microseconds busy_poll);
  void ReadLoop() noexcept;
  // The reader, before it blocks in read(): polls the socket while a frame was sent or replies
  // handed out within busy_poll_ and the gate allows.
  void SpinUntilReadable(ipc::SpinGate& gate);
  // A caller alone on the connection, before it sleeps: watches its slot for up to busy_poll_.
  void SpinUntilReady(const Slot& slot);
  void NoteActivity();
  // Appends a frame (slot may be null) under mu_. Returns true when the caller became the writer:
  // it then owns in_flight_ and must call WriteBatches() without mu_.
  bool EnqueueLocked(std::string_view frame, std::shared_ptr<Slot> slot);
  // The writer's loop: writes in_flight_, then the outbox, until there is nothing left or the
  // connection is dead. Settles the slots of a batch the connection died under.
  void WriteBatches();
  // Writes every byte; *written says how many left on failure.
  ipc::Result<void> SendAll(std::string_view bytes, std::size_t* written);
  // Fails the waiting calls with kUnavailable (except those in the batch being written, which the
  // writer settles), drops the outbox and shuts the socket down. Adds to *wake the slots to
  // notify once mu_ is released.
  void MarkDeadLocked(const std::string& reason, std::vector<std::shared_ptr<Slot>>* wake);
  void MarkDead(const std::string& reason);
  static void Wake(std::vector<std::shared_ptr<Slot>>* slots);

  std::atomic<int> fd_;
  const pid_t owner_pid_;
  const std::string socket_path_;
  const std::size_t max_frame_bytes_;
  const std::chrono::microseconds busy_poll_;
  // When a frame was last sent or replies last handed out (steady clock, ns since its epoch).
  std::atomic<Clock::rep> last_activity_{0};
  std::thread reader_;

  mutable std::mutex mu_;  // guards everything below except in_flight_ and the atomics
  std::unordered_map<std::uint64_t, std::shared_ptr<Slot>> pending_;
  Batch outbox_;                  // frames waiting for the writer
  std::uint64_t open_batch_ = 1;  // the number of the batch outbox_ will become
  // The number of the batch being written, 0 when no thread is the writer. Doubles as the "a
  // writer exists" flag: the writer takes the outbox in the same critical section that makes it
  // the writer, and gives up the role in the one where it finds the outbox empty.
  std::uint64_t writing_batch_ = 0;
  bool dead_ = false;
  std::string dead_reason_;
  std::string daemon_error_;  // a connection-level error the daemon sent before closing
  std::uint64_t frames_queued_ = 0;

  Batch in_flight_;  // owned by the writer while writing_batch_ != 0

  std::atomic<std::uint64_t> writes_{0};
  std::atomic<std::uint64_t> reads_{0};
  std::atomic<std::uint64_t> busy_polls_{0};
};

}  // namespace ssrd::client::detail
