// The source tree of the source-mapped test bundles (build.mjs writes them into dist/).
import { renderCard } from './components/card.js';

export async function render({ component, props }) {
  if (component === 'Card') return renderCard(props);
  if (component === 'Lazy') {
    const { renderLazy } = await import('./lazy/panel.js');
    return renderLazy(props);
  }
  throw new Error(`unknown component ${component}`);
}
