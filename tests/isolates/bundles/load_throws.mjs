const ready = true;

throw new RangeError('bad config');
export const render = () => ready;
