export function render() {
  return 'never';
  call(;
}
