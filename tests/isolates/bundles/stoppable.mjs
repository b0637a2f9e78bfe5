// Renders that only a watchdog can end, and quick ones to prove the engine still works after.
const components = {
  Fast: () => 'fast',
  // A synchronous loop: only TerminateExecution stops it.
  Spin: () => { for (;;) {} },
  // Kept pending by a timer: the event loop sleeps between ticks and must notice an interrupt.
  TimerPending: () => { setInterval(() => {}, 10); return new Promise(() => {}); },
  // Nothing could ever settle it: the event loop sees that at once.
  Stuck: () => new Promise(() => {}),
  // Busy for props.ms milliseconds of wall time, then done (a render that is slow but finishes).
  Busy: (props) => {
    const until = Date.now() + props.ms;
    while (Date.now() < until) {}
    return `busy ${props.ms}`;
  },
  // Waits props.ms on a timer, then done.
  Sleep: (props) => new Promise((resolve) => setTimeout(() => resolve(`slept ${props.ms}`), props.ms)),
};

export function render(request) {
  return components[request.component](request.props, request);
}
