// A classic script: no import/export; render is a global (a top-level function declaration).
var prefix = 'classic';
function render(request) {
  return prefix + ':' + request.component;
}
