// A bundle whose top-level code never finishes: the worker never sends its hello.
for (;;) {}
export function render() { return ""; }
