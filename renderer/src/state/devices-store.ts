/**
 * The Devices screen's state: the device list (added by address and discovered), the actions that
 * add, remove, refresh and trust devices, and live updates from the backend's device events.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { DeckhandApi, DeviceView } from '../bridge';
import type { AppErrorData } from '../../../core/result';

/** Devices state and actions. */
export interface DevicesState {
  readonly devices: readonly DeviceView[] | null;
  /** The last failed action, with the device it concerned. */
  readonly error: (AppErrorData & { readonly uri?: string }) | null;
  readonly adding: boolean;
  readonly refreshing: boolean;
  /** Devices whose action (trust, remove, refresh) is running. */
  readonly busy: readonly string[];
  readonly load: () => Promise<void>;
  readonly add: (uri: string) => Promise<boolean>;
  readonly remove: (uri: string) => Promise<void>;
  readonly refresh: (uri?: string) => Promise<void>;
  readonly confirm: (uri: string, fingerprint: string) => Promise<void>;
  readonly dismissError: () => void;
  /** Listens for device events; returns the unsubscribe function. */
  readonly subscribe: () => () => void;
}

type DevicesApi = Pick<
  DeckhandApi,
  'devices.list' | 'devices.add' | 'devices.remove' | 'devices.refresh' | 'devices.confirmFingerprint' | 'on'
>;

/** Creates the store over the devices verbs and the 'devices.changed' event. */
export function createDevicesStore(api: DevicesApi): StoreApi<DevicesState> {
  return createStore<DevicesState>()((set, get) => {
    const upsert = (device: DeviceView): void => {
      const list = get().devices ?? [];
      const next = list.some((d) => d.uri === device.uri)
        ? list.map((d) => (d.uri === device.uri ? device : d))
        : [...list, device];
      set({ devices: next });
    };
    const withBusy = async (uri: string, work: () => Promise<void>): Promise<void> => {
      set({ busy: [...get().busy, uri], error: null });
      try {
        await work();
      } finally {
        set({ busy: get().busy.filter((u) => u !== uri) });
      }
    };
    return {
      devices: null,
      error: null,
      adding: false,
      refreshing: false,
      busy: [],

      load: async () => {
        const result = await api['devices.list'](undefined);
        set(result.ok ? { devices: result.value.devices } : { error: result.error });
      },

      add: async (uri) => {
        if (get().adding) return false;
        set({ adding: true, error: null });
        const result = await api['devices.add']({ uri });
        set({ adding: false });
        if (result.ok) upsert(result.value);
        else set({ error: { ...result.error, uri } });
        return result.ok;
      },

      remove: (uri) =>
        withBusy(uri, async () => {
          const result = await api['devices.remove']({ uri });
          if (result.ok) set({ devices: (get().devices ?? []).filter((d) => d.uri !== uri) });
          else set({ error: { ...result.error, uri } });
        }),

      refresh: async (uri) => {
        const run = async (): Promise<void> => {
          const result = await api['devices.refresh'](uri === undefined ? undefined : { uri });
          set(result.ok ? { devices: result.value.devices } : { error: { ...result.error, uri } });
        };
        if (uri !== undefined) return withBusy(uri, run);
        set({ refreshing: true, error: null });
        try {
          await run();
        } finally {
          set({ refreshing: false });
        }
      },

      confirm: (uri, fingerprint) =>
        withBusy(uri, async () => {
          const result = await api['devices.confirmFingerprint']({ uri, fingerprint });
          if (result.ok) upsert(result.value);
          else {
            set({ error: { ...result.error, uri } });
            await get().refresh(uri);
          }
        }),

      dismissError: () => set({ error: null }),

      subscribe: () => {
        const offChanged = api.on('devices.changed', (payload) => set({ devices: payload.devices }));
        return offChanged;
      },
    };
  });
}
