/**
 * Fake Electron objects for unit tests: just enough behaviour (listeners, handlers, preventable
 * events) to observe what the shell does, with no Electron binary.
 */
import { vi } from 'vitest';

type Listener = (...args: any[]) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any -- fakes accept Electron's varied listener signatures

/** A minimal EventEmitter with on/once/emit, returning `this` like Electron's. */
export class FakeEmitter {
  readonly listeners = new Map<string, Listener[]>();

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  once(event: string, listener: Listener): this {
    const wrapped: Listener = (...args) => {
      this.off(event, wrapped);
      return listener(...args);
    };
    return this.on(event, wrapped);
  }

  off(event: string, listener: Listener): this {
    this.listeners.set(
      event,
      (this.listeners.get(event) ?? []).filter((l) => l !== listener),
    );
    return this;
  }

  removeListener(event: string, listener: Listener): this {
    return this.off(event, listener);
  }

  emit(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) listener(...args);
  }

  listenerCount(event: string): number {
    return this.listeners.get(event)?.length ?? 0;
  }
}

/** An event object whose preventDefault can be observed. */
export function preventableEvent(): { defaultPrevented: boolean; preventDefault: () => void } {
  const event = {
    defaultPrevented: false,
    preventDefault: () => {
      event.defaultPrevented = true;
    },
  };
  return event;
}

let nextWebContentsId = 1;

/** A fake WebContents. */
export class FakeWebContents extends FakeEmitter {
  readonly id = nextWebContentsId++;
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  destroyed = false;
  readonly send = vi.fn();

  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }
}

/** A fake BrowserWindow; every instance is recorded in `created`. */
export class FakeBrowserWindow extends FakeEmitter {
  static created: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  readonly loadURL = vi.fn(async (_url: string) => {});
  readonly show = vi.fn();
  readonly focus = vi.fn();
  readonly restore = vi.fn();
  minimized = false;
  destroyed = false;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- options are inspected as plain data
  constructor(readonly options: Record<string, any>) {
    super();
    FakeBrowserWindow.created.push(this);
  }

  isMinimized(): boolean {
    return this.minimized;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Simulates the user closing the window. */
  close(): void {
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

/** A fake ipcMain recording handle/removeHandler, with a way to invoke a channel. */
export function createFakeIpcMain() {
  const handlers = new Map<string, Listener>();
  return {
    handlers,
    handle: vi.fn((channel: string, handler: Listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, handler);
    }),
    removeHandler: vi.fn((channel: string) => {
      handlers.delete(channel);
    }),
  };
}

/** A fake session recording its permission handlers. */
export function createFakeSession() {
  return {
    setPermissionRequestHandler: vi.fn(),
    setPermissionCheckHandler: vi.fn(),
    setDevicePermissionHandler: vi.fn(),
  };
}

/** A fake `app` with a controllable single-instance lock and `ready`. */
export function createFakeApp() {
  let resolveReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });
  const emitter = new FakeEmitter();
  return Object.assign(emitter, {
    isPackaged: true,
    requestSingleInstanceLock: vi.fn(() => true),
    quit: vi.fn(),
    exit: vi.fn(),
    enableSandbox: vi.fn(),
    whenReady: vi.fn(() => ready),
    /** Fires `ready` (tests then await a tick for the wiring to run). */
    becomeReady: () => resolveReady(),
    getPath: vi.fn((name: string) => `/fake/${name}`),
    getAppPath: vi.fn(() => '/fake/app'),
    getVersion: vi.fn(() => '1.2.3'),
    getName: vi.fn(() => 'Deckhand'),
  });
}

/** Fresh state for every part of the fake module. */
function freshParts() {
  return {
    app: createFakeApp(),
    ipcMain: createFakeIpcMain(),
    protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
    defaultSession: createFakeSession(),
    shell: { openExternal: vi.fn(async () => {}) },
    dialog: { showErrorBox: vi.fn(), showMessageBox: vi.fn(async () => ({ response: 0 })) },
    Menu: { buildFromTemplate: vi.fn((template: unknown) => ({ template })), setApplicationMenu: vi.fn() },
  };
}

/**
 * A whole fake 'electron' module for vi.mock. vitest caches a mock factory's result across
 * vi.resetModules, so `resetFakeElectron` renews the state in place (same objects, fresh contents).
 */
export function createFakeElectronModule() {
  FakeBrowserWindow.created = [];
  const parts = freshParts();
  return {
    app: parts.app,
    BrowserWindow: FakeBrowserWindow,
    ipcMain: parts.ipcMain,
    protocol: parts.protocol,
    session: { defaultSession: parts.defaultSession },
    shell: parts.shell,
    dialog: parts.dialog,
    Menu: parts.Menu,
    nativeTheme: { shouldUseDarkColors: true },
    safeStorage: {
      isEncryptionAvailable: () => false,
      encryptString: (text: string) => Buffer.from(text),
      decryptString: (data: Buffer) => data.toString(),
    },
  };
}

/** The fake module's type, for casting the mocked import. */
export type FakeElectron = ReturnType<typeof createFakeElectronModule>;

/** Gives every fake in the module fresh state, keeping object identities that code under test imported. */
export function resetFakeElectron(fake: FakeElectron): void {
  const parts = freshParts();
  FakeBrowserWindow.created = [];
  fake.app.listeners.clear();
  Object.assign(fake.app, parts.app, { isPackaged: true });
  Object.assign(fake.ipcMain, parts.ipcMain);
  Object.assign(fake.protocol, parts.protocol);
  Object.assign(fake.session.defaultSession, parts.defaultSession);
  Object.assign(fake.shell, parts.shell);
  Object.assign(fake.dialog, parts.dialog);
  Object.assign(fake.Menu, parts.Menu);
}
