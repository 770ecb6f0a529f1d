/** Deploy runs and per-device progress in SQLite (tables of migration 0005). */
import type {
  DeployDeviceView,
  DeployRunView,
  DeployStep,
  DeployTargetView,
  DeviceOutcome,
} from '../ipc/deploy-types';
import { withDbErrors, type Db } from './database';

interface RunRecord {
  id: string;
  created_at: string;
  target: string;
  concurrency: number;
  status: DeployRunView['status'];
  finished_at: string | null;
}

interface DeviceRecord {
  device: string;
  step: DeployStep;
  outcome: DeviceOutcome;
  error_code: string | null;
  reason: string | null;
  updated_at: string;
}

/** One device's change of state. */
export interface DeviceUpdate {
  readonly step: DeployStep;
  readonly outcome: DeviceOutcome;
  readonly errorCode?: string | null;
  readonly reason?: string | null;
}

/** Reads and writes deploy runs. */
export class DeployStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Creates a run with its devices, all in one transaction. */
  createRun(run: {
    id: string;
    at: Date;
    target: DeployTargetView;
    concurrency: number;
    devices: readonly string[];
  }): void {
    this.#write(() =>
      this.#db.transaction(() => {
        this.#db
          .prepare(
            `INSERT INTO deploy_runs (id, created_at, target, concurrency, status) VALUES (?, ?, ?, ?, 'running')`,
          )
          .run(run.id, run.at.toISOString(), JSON.stringify(run.target), run.concurrency);
        const insert = this.#db.prepare(
          `INSERT INTO deploy_devices (run_id, device, position, step, outcome, updated_at) VALUES (?, ?, ?, 'queued', 'pending', ?)`,
        );
        run.devices.forEach((device, position) => insert.run(run.id, device, position, run.at.toISOString()));
      })(),
    );
  }

  /** Records a device's step or outcome. */
  updateDevice(runId: string, device: string, update: DeviceUpdate, at: Date): void {
    this.#write(() =>
      this.#db
        .prepare(
          `UPDATE deploy_devices SET step = ?, outcome = ?, error_code = ?, reason = ?, updated_at = ? WHERE run_id = ? AND device = ?`,
        )
        .run(
          update.step,
          update.outcome,
          update.errorCode ?? null,
          update.reason ?? null,
          at.toISOString(),
          runId,
          device,
        ),
    );
  }

  /** Marks a run finished or cancelled. */
  finishRun(runId: string, status: 'finished' | 'cancelled', at: Date): void {
    this.#write(() =>
      this.#db
        .prepare(`UPDATE deploy_runs SET status = ?, finished_at = ? WHERE id = ?`)
        .run(status, at.toISOString(), runId),
    );
  }

  /** One run with its devices. */
  get(runId: string): DeployRunView | undefined {
    const run = this.#read(() => this.#db.prepare('SELECT * FROM deploy_runs WHERE id = ?').get(runId)) as
      RunRecord | undefined;
    return run === undefined ? undefined : this.#view(run);
  }

  /** Runs, newest first. */
  list(limit = 50): DeployRunView[] {
    const runs = this.#read(() =>
      this.#db.prepare('SELECT * FROM deploy_runs ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit),
    ) as RunRecord[];
    return runs.map((run) => this.#view(run));
  }

  /** Runs the app did not see to the end (it was killed or closed). */
  unfinished(): DeployRunView[] {
    const runs = this.#read(() =>
      this.#db.prepare(`SELECT * FROM deploy_runs WHERE status = 'running' ORDER BY created_at`).all(),
    ) as RunRecord[];
    return runs.map((run) => this.#view(run));
  }

  /** The latest outcome per device across all runs. */
  latestPerDevice(): {
    device: string;
    runId: string;
    target: DeployTargetView;
    outcome: DeviceOutcome;
    updatedAt: string;
  }[] {
    const rows = this.#read(() =>
      this.#db
        .prepare(
          `SELECT d.device, d.run_id AS runId, r.target, d.outcome, d.updated_at AS updatedAt
             FROM deploy_devices d JOIN deploy_runs r ON r.id = d.run_id
            WHERE d.updated_at = (SELECT MAX(updated_at) FROM deploy_devices x WHERE x.device = d.device)
            GROUP BY d.device ORDER BY d.device`,
        )
        .all(),
    ) as { device: string; runId: string; target: string; outcome: DeviceOutcome; updatedAt: string }[];
    return rows.map((row) => ({ ...row, target: JSON.parse(row.target) as DeployTargetView }));
  }

  /** Deploy outcomes for DORA: commits, rollbacks, and failures after the device was changed. */
  outcomes(): { device: string; time: string; outcome: 'committed' | 'failed'; createdAt?: string }[] {
    const rows = this.#read(() =>
      this.#db
        .prepare(
          `SELECT d.device, d.updated_at AS time, d.outcome, r.target FROM deploy_devices d
             JOIN deploy_runs r ON r.id = d.run_id
            WHERE d.outcome IN ('committed', 'rolled_back')
               OR (d.outcome = 'failed' AND d.step IN ('reboot', 'health', 'commit', 'rollback'))
            ORDER BY d.updated_at`,
        )
        .all(),
    ) as { device: string; time: string; outcome: DeviceOutcome; target: string }[];
    return rows.map((row) => {
      const createdAt = (JSON.parse(row.target) as DeployTargetView).createdAt;
      return {
        device: row.device,
        time: row.time,
        outcome: row.outcome === 'committed' ? 'committed' : 'failed',
        ...(createdAt ? { createdAt } : {}),
      };
    });
  }

  #view(run: RunRecord): DeployRunView {
    const devices = this.#read(() =>
      this.#db.prepare('SELECT * FROM deploy_devices WHERE run_id = ? ORDER BY position').all(run.id),
    ) as DeviceRecord[];
    return {
      id: run.id,
      createdAt: run.created_at,
      target: JSON.parse(run.target) as DeployTargetView,
      concurrency: run.concurrency,
      status: run.status,
      finishedAt: run.finished_at,
      devices: devices.map((d): DeployDeviceView => ({
        device: d.device,
        step: d.step,
        outcome: d.outcome,
        errorCode: d.error_code,
        reason: d.reason,
        updatedAt: d.updated_at,
        progress: null,
      })),
    };
  }

  #write(work: () => unknown): void {
    withDbErrors(this.#db.name, work);
  }

  #read<T>(work: () => T): T {
    return withDbErrors(this.#db.name, work);
  }
}
