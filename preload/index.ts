/**
 * The sandboxed preload: exposes the contract's verbs and `on` as `window.deckhand`, nothing else.
 * Built to one CommonJS file whose only require is 'electron' (sandboxed preloads cannot load more).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createDeckhandApi } from './deckhand-api';

contextBridge.exposeInMainWorld('deckhand', createDeckhandApi(ipcRenderer));
