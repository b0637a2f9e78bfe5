// src/util/check.js
function checkTitle(title) {
  if (typeof title !== "string") {
    throw new TypeError(`title must be a string, got ${typeof title}`);
  }
  return title;
}

// src/components/card.js
function renderCard(props) {
  const title = checkTitle(props.title);
  return `<div class="card">${title}</div>`;
}

// src/entry.js
async function render({ component, props }) {
  if (component === "Card") return renderCard(props);
  if (component === "Lazy") {
    const { renderLazy } = await import("./chunks/panel-4P34TJ2N.mjs");
    return renderLazy(props);
  }
  throw new Error(`unknown component ${component}`);
}
export {
  render
};
//# sourceMappingURL=entry.mjs.map
