/**
 * Opens the backend that every host shares (the Electron window, the browser host, the CLI): the
 * database in the data folder, the services, and the verb handlers the IPC gate calls.
 */
import { openDatabase } from '../db/database';
import { EventLogStore } from '../db/event-log-store';
import type { VerbHandlers } from '../ipc/gate';
import { createEventBus, type EventBus } from './event-bus';
import { LogsService } from './logs-service';

export interface BackendOptions {
  readonly dataDir: string;
  readonly host: 'electron' | 'browser' | 'cli';
  readonly version: string;
  /** better-sqlite3 built for Electron's ABI, when running unpackaged in Electron. */
  readonly nativeBinding?: string | undefined;
  readonly clock?: () => Date;
}

/** The services and handler map of one open data folder. */
export interface Backend {
  readonly dataDir: string;
  readonly handlers: VerbHandlers;
  readonly events: EventBus;
  readonly logs: LogsService;
  close(): void;
}

/** Opens the data folder; throws a coded DeckhandError (db_locked, db_readonly, db_corrupt, disk_full). */
export function openBackend(options: BackendOptions): Backend {
  const db = openDatabase(options.dataDir, { nativeBinding: options.nativeBinding });
  const events = createEventBus((error) => console.error('deckhand: an event listener failed', error));
  const logs = new LogsService(new EventLogStore(db, options.clock), events);

  const handlers: VerbHandlers = {
    'app.info': () => ({
      name: 'Deckhand',
      version: options.version,
      dataDir: options.dataDir,
      host: options.host,
      platform: process.platform,
    }),
    'logs.query': (input) => logs.query(input),
    'logs.facets': () => logs.facets(),
    'logs.verify': () => logs.verify(),
  };

  return {
    dataDir: options.dataDir,
    handlers,
    events,
    logs,
    close: () => db.close(),
  };
}
