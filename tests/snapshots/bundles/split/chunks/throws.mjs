throw new Error('chunk failed to load');
