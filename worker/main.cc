// ssrd-worker: one V8 isolate rendering requests from its supervisor (see worker_main.h).
#include "worker/worker_main.h"

int main(int argc, char** argv) { return ssrd::worker::WorkerMain(argc, argv); }
