// Components that misbehave on purpose, for the supervision tests (tests/integration/*_test.cc).
export function render({component, props}) {
  switch (component) {
    case "Echo":
      return "<p>Echo:" + JSON.stringify(props) + "</p>";
    case "Spin": {  // keeps its worker busy for props.ms milliseconds
      const end = Date.now() + props.ms;
      while (Date.now() < end) {}
      return "<p>Spin:" + props.ms + "</p>";
    }
    case "Forever":  // only TerminateExecution stops this
      for (;;) {}
    case "Pending":  // a promise kept pending by a timer that never resolves it
      return new Promise(() => { setInterval(() => {}, 10); });
    case "Stuck":  // a promise nothing can ever settle
      return new Promise(() => {});
    case "Bomb": {  // allocates until the heap limit
      const keep = [];
      for (;;) keep.push(new Array(100000).fill(keep.length));
    }
    case "BufferHog": {  // props.mib MiB of ArrayBuffers (never touched), kept to the end
      const keep = [];
      for (let mib = 0; mib < props.mib; mib += 64) keep.push(new ArrayBuffer(64 * 1024 * 1024));
      return "<p>BufferHog:" + keep.length + "</p>";
    }
    case "Log":  // one console.log line of props.text
      console.log(props.text);
      return "<p>Log</p>";
    case "RejectsUnhandled":  // a rejection nobody handles; the render itself succeeds
      Promise.reject(new Error("nobody handles this"));
      return "<p>RejectsUnhandled</p>";
    case "RejectsHandledLater": {  // rejected, then handled before the render ends
      const late = Promise.reject(new Error("handled later"));
      return new Promise((resolve) => setTimeout(() => {
        late.catch(() => {});
        resolve("<p>RejectsHandledLater</p>");
      }, 1));
    }
    case "RejectsThenHangs":  // drops a rejection, then waits for ever (kept busy by a timer)
      Promise.reject(new Error("lost on the way"));
      return new Promise(() => { setInterval(() => {}, 10); });
    case "AsyncThrows":  // the render's own promise rejects: a js_error, nothing unhandled
      return (async () => { throw new Error("async boom"); })();
    default: {
      const error = new Error("unknown component " + component);
      error.code = "not_found";
      throw error;
    }
  }
}
