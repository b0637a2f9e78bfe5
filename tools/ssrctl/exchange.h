// One request, one reply, over a blocking connection of its own: what ssrctl's subcommands need
// when they show the daemon's whole reply (the C++ client keeps only part of some replies, such
// as the console of a failed render or the worker table of stats).
//
// Every wait is bounded by `timeout`. Failures of the exchange itself are values: kUnavailable for
// a daemon that cannot be reached or closes the connection (the message names the socket path),
// kTimeout "no reply within N ms", kTooLarge for a reply over the frame limit, kBadRequest for a
// reply that does not decode. A reply the daemon sent is returned as it is, error replies
// included. Single-threaded; nothing is kept between calls.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "ipc/error.h"
#include "ipc/message.h"

namespace ssrd::ssrctl {

// A streamed render (request.stream) gets chunk frames before its reply: each chunk's html goes to
// on_chunk as it arrives, and the final reply is returned.
using ChunkFn = std::function<void(std::string&& html)>;
ipc::Result<ipc::Reply> Exchange(const std::string& socket_path, const ipc::Request& request,
                                 std::chrono::milliseconds timeout,
                                 const ChunkFn& on_chunk = nullptr);

}  // namespace ssrd::ssrctl
