// Client entry: hydrates the server markup. The page carries
//   <div id="root">…server html…</div>
//   <script type="application/json" id="ssrd-data">{"component":…,"props":…}</script>
import { useEffect } from 'react';
import { hydrateRoot } from 'react-dom/client';
import { components } from './registry.js';

// Renders nothing of its own, so the markup matches the server's; its effect
// runs once hydration committed, which lets a browser test wait for it.
function HydrationMarker({ children }) {
  useEffect(() => {
    document.documentElement.dataset.ssrdHydrated = 'true';
  }, []);
  return children;
}

function hydrate() {
  const dataElement = document.getElementById('ssrd-data');
  const rootElement = document.getElementById('root');
  if (!dataElement || !rootElement) {
    console.error('ssrd: missing #ssrd-data or #root; nothing to hydrate');
    return;
  }
  const { component, props } = JSON.parse(dataElement.textContent);
  const Component = components[component];
  if (!Component) {
    console.error(`ssrd: unknown component "${component}"`);
    return;
  }
  hydrateRoot(
    rootElement,
    <HydrationMarker>
      <Component {...(props ?? {})} />
    </HydrationMarker>,
    {
      onRecoverableError(error) {
        console.error('ssrd: hydration error:', error);
      },
    },
  );
}

hydrate();
