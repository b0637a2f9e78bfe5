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
    default: {
      const error = new Error("unknown component " + component);
      error.code = "not_found";
      throw error;
    }
  }
}
