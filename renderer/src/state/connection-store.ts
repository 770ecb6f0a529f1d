/** Mirrors the bridge's connection state into a store so the shell can show a banner when it drops. */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { BridgeConnection, ConnectionState } from '../bridge';

/** The connection as the UI sees it. */
export interface ConnectionStoreState {
  readonly connection: ConnectionState;
}

/** Creates the store and keeps it in step with `source` for the app's lifetime. */
export function createConnectionStore(
  source: Pick<BridgeConnection, 'getState' | 'onStateChange'>,
): StoreApi<ConnectionStoreState> {
  const store = createStore<ConnectionStoreState>()(() => ({ connection: source.getState() }));
  source.onStateChange((connection) => store.setState({ connection }));
  return store;
}
