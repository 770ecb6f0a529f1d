/** Manually added devices in SQLite (table of migration 0004). */
import { withDbErrors, type Db } from './database';

/** A device added by address. */
export interface StoredDevice {
  readonly uri: string;
  readonly label: string;
  readonly addedAt: string;
}

/** Reads and writes the manual device list. */
export class DeviceStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Every manual device, oldest first. */
  list(): StoredDevice[] {
    return withDbErrors(this.#db.name, () =>
      (
        this.#db.prepare('SELECT uri, label, added_at FROM devices ORDER BY added_at, uri').all() as {
          uri: string;
          label: string;
          added_at: string;
        }[]
      ).map((row) => ({ uri: row.uri, label: row.label, addedAt: row.added_at })),
    );
  }

  /** Adds a device; false when it was already listed. */
  add(device: StoredDevice): boolean {
    return withDbErrors(
      this.#db.name,
      () =>
        this.#db
          .prepare('INSERT OR IGNORE INTO devices (uri, label, added_at) VALUES (?, ?, ?)')
          .run(device.uri, device.label, device.addedAt).changes === 1,
    );
  }

  /** Removes a device; false when it was not listed. */
  remove(uri: string): boolean {
    return withDbErrors(
      this.#db.name,
      () => this.#db.prepare('DELETE FROM devices WHERE uri = ?').run(uri).changes === 1,
    );
  }
}
