// journald-aware log formatting, shared by ssrd and ssrd-worker.
//
// Under systemd, stderr is often a stream into the journal. journald reads a `<N>` prefix
// (sd-daemon.h levels) as the line's priority, so `journalctl -p warning` works, and stamps each
// line itself, so our own timestamp would only be doubled. Loop-free; call once at start-up.
#pragma once

#include <spdlog/logger.h>

#include <string>

namespace ssrd::logging {

// True when stderr is the stream systemd connected to the journal: JOURNAL_STREAM names the
// device and inode of that stream, which stops matching once stderr is redirected elsewhere.
bool StderrIsJournal();

// Sets `logger`'s pattern to "<N>" + `pattern` (a spdlog pattern without a time), N being the
// syslog priority of each message's level.
void UseJournalPattern(spdlog::logger& logger, const std::string& pattern);

// "<3>" (SD_ERR) when stderr is the journal, "" otherwise: for lines written with fprintf.
const char* ErrorPrefix();

}  // namespace ssrd::logging
