var __defProp = Object.defineProperty;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __esm = (fn, res, err) => function __init() {
  if (err) throw err[0];
  try {
    return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;
  } catch (e) {
    throw err = [e], e;
  }
};
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};

// src/lazy/panel.js
var panel_exports = {};
__export(panel_exports, {
  renderLazy: () => renderLazy
});
function renderLazy(props) {
  if (!Array.isArray(props.items)) {
    throw new RangeError("items must be an array");
  }
  return `<ul>${props.items.map((item) => `<li>${item}</li>`).join("")}</ul>`;
}
var init_panel = __esm({
  "src/lazy/panel.js"() {
  }
});

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
    const { renderLazy: renderLazy2 } = await Promise.resolve().then(() => (init_panel(), panel_exports));
    return renderLazy2(props);
  }
  throw new Error(`unknown component ${component}`);
}
export {
  render
};
