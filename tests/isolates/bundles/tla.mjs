// Top-level await with a timer: the engine must run the loop while loading.
const greeting = await new Promise((resolve) => setTimeout(() => resolve('awaited'), 5));
console.log('loaded', greeting);
export const render = () => greeting;
