// Blocking frame I/O on a file descriptor, for the worker's channel and the blocking C++ client.
// Retries on EINTR and short reads/writes. Not thread-safe per fd: callers serialise writes.
#pragma once

#include <string>
#include <string_view>

#include "ipc/error.h"
#include "ipc/frame.h"

namespace ssrd::ipc {

// Writes every byte or fails with kUnavailable (peer gone) naming errno.
Result<void> WriteAll(int fd, std::string_view bytes);

// Reads until *decoder yields a frame into *payload. End of file: kUnavailable "connection closed";
// an oversized frame: kTooLarge.
Result<void> ReadFrame(int fd, FrameDecoder* decoder, std::string* payload);

}  // namespace ssrd::ipc
