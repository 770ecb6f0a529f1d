/** Renderer entry: the composition root that wires the bridge into the stores and mounts the app. */
import '@radix-ui/themes/styles.css';
import './styles/app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app';
import { bridge, defaultBridgeConnection } from './bridge';
import { createAppStores } from './state/app-stores';
import { browserThemeEnvironment } from './state/theme-store';

const stores = createAppStores({
  api: bridge,
  connection: defaultBridgeConnection(),
  themeEnvironment: browserThemeEnvironment(),
});

const root = document.getElementById('root');
if (root === null) throw new Error('index.html lacks the #root element.');
createRoot(root).render(
  <StrictMode>
    <App stores={stores} />
  </StrictMode>,
);
