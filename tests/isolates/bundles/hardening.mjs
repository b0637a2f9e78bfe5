// Components for tests/isolates/engine_hardening_test.cc: ArrayBuffers against the heap limit and
// promise rejections nobody handles.
export function render({component, props}) {
  switch (component) {
    case "Buffers": {  // props.mib MiB of ArrayBuffers in 16 MiB pieces, kept to the end
      const keep = [];
      for (let mib = 0; mib < props.mib; mib += 16) keep.push(new ArrayBuffer(16 * 1024 * 1024));
      return "Buffers:" + keep.length;
    }
    case "CatchesBufferError":  // meets the limit, catches the RangeError, renders anyway
      try {
        new Uint8Array(props.mib * 1024 * 1024);
        return "allocated";
      } catch (e) {
        return "caught " + e.name;
      }
    case "Rejects": {  // props.count rejections nobody handles
      for (let i = 0; i < props.count; i++) Promise.reject(new Error("lost " + i));
      return "Rejects";
    }
    case "RejectsString":  // a reason that is not an Error
      Promise.reject("just a string");
      return "RejectsString";
    case "RejectsAndSticks":  // drops a rejection, then waits for a promise nothing can settle
      Promise.reject(new TypeError("dropped"));
      return new Promise(() => {});
    case "CaughtLater":  // rejected, then handled in a later microtask: not unhandled
      return (async () => {
        const p = Promise.reject(new Error("later"));
        await null;
        await p.catch(() => {});
        return "CaughtLater";
      })();
    default:
      throw new Error("unknown component " + component);
  }
}
