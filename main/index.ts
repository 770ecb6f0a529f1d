/**
 * Desktop composition root: the one place that hands the backend to the Electron shell. Everything
 * Electron-specific lives in main/electron; everything else in main/services and below.
 */
import { createDiscoverySources } from './adapters/discovery/index';
import { startDesktopApp } from './electron/desktop-app';
import { openBackend } from './services/backend';

startDesktopApp({
  // The desktop app finds devices on its own: mDNS on the LAN, serial ports, USB hotplug.
  openBackend: (options) => openBackend({ ...options, discoverySources: createDiscoverySources() }),
  argv: process.argv,
  env: process.env,
  mainDir: import.meta.dirname,
});
