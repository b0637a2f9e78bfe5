import React from 'react';
export const render = () => String(React);
