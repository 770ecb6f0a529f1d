/**
 * The sandboxed preload: exposes the contract's verbs, `on` and `pathForFile` (dropped files) as
 * `window.deckhand`, nothing else.
 * Built to one CommonJS file whose only require is 'electron' (sandboxed preloads cannot load more).
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { createDeckhandApi } from './deckhand-api';

contextBridge.exposeInMainWorld(
  'deckhand',
  createDeckhandApi(ipcRenderer, (file) => webUtils.getPathForFile(file)),
);
