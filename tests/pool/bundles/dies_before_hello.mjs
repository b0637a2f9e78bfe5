// FAKE_DIE_BEFORE_HELLO: the fake worker exits with code 1 before its hello (a crash at startup).
export function render() { return ""; }
