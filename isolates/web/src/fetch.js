// fetch exists so that libraries that feature-test it take their server path, and rejects with an
// error that says why: a render has no network access.
export function fetch(input = undefined, init = undefined) {
  let target = '';
  try { target = typeof input === 'object' && input !== null && 'url' in input ? String(input.url) : String(input); } catch (e) {}
  return Promise.reject(new TypeError('fetch is not available in ssrd workers: rendering has no network ' +
      'access (fetch(' + JSON.stringify(target) + ') was refused); load data before the render and pass it as props'));
}
