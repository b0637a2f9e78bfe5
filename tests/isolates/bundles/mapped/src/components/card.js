import { checkTitle } from '../util/check.js';

export function renderCard(props) {
  const title = checkTitle(props.title);
  return `<div class="card">${title}</div>`;
}
