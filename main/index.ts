/**
 * Desktop composition root: the one place that hands the backend to the Electron shell. Everything
 * Electron-specific lives in main/electron; everything else in main/services and below.
 */
import { startDesktopApp } from './electron/desktop-app';
import { openBackend } from './services/backend';

startDesktopApp({ openBackend, argv: process.argv, env: process.env, mainDir: import.meta.dirname });
