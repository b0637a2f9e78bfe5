export const notRender = 1;
