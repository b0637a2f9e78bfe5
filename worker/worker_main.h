// The whole ssrd-worker program (main.cc only calls this): dies with its parent, initialises V8,
// loads the bundle, says hello on the channel (or reports the bundle error and exits 2), then
// serves requests until end of file. Returns the process exit status.
#pragma once

namespace ssrd::worker {

int WorkerMain(int argc, char** argv);

}  // namespace ssrd::worker
