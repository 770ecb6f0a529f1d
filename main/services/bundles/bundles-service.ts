/**
 * The Bundles use cases: import a bundle (with progress and cancel), list imports, pin the trust
 * root, and offer bundles found on removable drives. Every import attempt, success or refusal, is
 * recorded in the bundles table and as an event in the deploy log.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ProgressMeter } from '../../../core/progress/progress-meter';
import { DeckhandError, toErrorData } from '../../../core/result';
import type { BundleStore } from '../../db/bundle-store';
import type { BundleImportRow, BundleOffer } from '../../ipc/bundle-types';
import type { VerbOutput } from '../../ipc/contract';
import type { BlobStore } from '../blob-store';
import type { EventBus } from '../event-bus';
import type { LogsService } from '../logs-service';
import { importBundleFile, type ImportedBundle, type ImportPhase } from './bundle-importer';
import type { TrustStore, TrustSummary } from './trust-store';

/** What the service is built from. */
export interface BundlesServiceDeps {
  readonly store: BundleStore;
  readonly blobs: BlobStore;
  readonly trust: TrustStore;
  readonly logs: LogsService;
  readonly events: EventBus;
  readonly clock?: () => Date;
  /** Bundles currently on removable drives (from the drive watcher), if one runs. */
  readonly offers?: () => readonly BundleOffer[];
  /** A native file dialog, where the host has one (Electron). */
  readonly pickFile?: () => Promise<string | null>;
}

/** Options of one import. */
export interface ImportRequest {
  readonly path: string;
  /** Chosen by the caller so it can cancel before the import returns. */
  readonly jobId: string;
  /** Tests act between phases (e.g. swap a file after verification). */
  readonly onPhase?: (phase: ImportPhase) => void | Promise<void>;
}

/** The outcome of a successful import. */
export interface ImportOutcome {
  readonly import: BundleImportRow;
  readonly copied: number;
  readonly reused: number;
  readonly bytesRead: number;
}

/** Imports and lists bundles. */
export class BundlesService {
  readonly #deps: BundlesServiceDeps;
  readonly #clock: () => Date;
  readonly #jobs = new Map<string, AbortController>();
  /** Imports run one at a time: they share the trust state. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: BundlesServiceDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? (() => new Date());
  }

  /** Imports and refusals, newest first, and the trust root. */
  list(): VerbOutput<'bundles.list'> {
    return { trust: this.trustSummary(), imports: this.#deps.store.list() };
  }

  /** The pinned (or org) root, or null. */
  trustSummary(): TrustSummary | null {
    try {
      return this.#deps.trust.summary();
    } catch {
      return null;
    }
  }

  /** Pins the org root from a root.json file and records it in the log. */
  pin(file: string): TrustSummary {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      throw new DeckhandError('not_found', `There is no file at ${file}.`);
    }
    const summary = this.#deps.trust.pin(bytes, this.#clock());
    this.#deps.logs.record({
      kind: 'trust.pinned',
      device: null,
      payload: {
        rootVersion: summary.rootVersion,
        rootKeyIds: [...summary.rootKeyIds],
        file: basename(file),
      },
    });
    return summary;
  }

  /** Bundles on removable drives right now. */
  offers(): VerbOutput<'bundles.offers'> {
    return { offers: this.#deps.offers?.() ?? [] };
  }

  /** Opens the host's file dialog. */
  async pickFile(): Promise<VerbOutput<'bundles.pickFile'>> {
    if (this.#deps.pickFile === undefined) {
      throw new DeckhandError(
        'not_found',
        'This window cannot open a file dialog. Type the path of the .dhb file instead.',
      );
    }
    return { path: await this.#deps.pickFile() };
  }

  /** Cancels a running (or queued) import; nothing of it is kept. */
  cancel(jobId: string): VerbOutput<'bundles.cancelImport'> {
    const job = this.#jobs.get(jobId);
    if (job === undefined) return { cancelled: false };
    job.abort();
    return { cancelled: true };
  }

  /** Imports a bundle; throws a coded DeckhandError when it is refused or cancelled. */
  import(request: ImportRequest): Promise<ImportOutcome> {
    if (this.#jobs.has(request.jobId))
      throw new DeckhandError('invalid_input', 'An import with this job id is already running.');
    const controller = new AbortController();
    this.#jobs.set(request.jobId, controller);
    const run = this.#queue.then(() => this.#run(request, controller.signal));
    this.#queue = run.catch(() => undefined);
    return run.finally(() => this.#jobs.delete(request.jobId));
  }

  async #run(request: ImportRequest, signal: AbortSignal): Promise<ImportOutcome> {
    const { events, trust, store, logs } = this.#deps;
    const at = this.#clock();
    const facts = { fileName: basename(request.path), filePath: request.path, at };
    const emit = events.emit.bind(events, 'progress');
    let meter = new ProgressMeter({ jobId: request.jobId, totalBytes: null, emit });
    try {
      if (signal.aborted) throw cancelledError();
      const { state } = trust.load();
      trust.noteTime(at);
      const result: ImportedBundle = await importBundleFile({
        path: request.path,
        state,
        now: at,
        blobs: this.#deps.blobs,
        signal,
        onPhase: async (phase, totalBytes) => {
          if (phase === 'copying') meter = new ProgressMeter({ jobId: request.jobId, totalBytes, emit });
          meter.step(phase);
          await request.onPhase?.(phase);
        },
        onBytes: (bytes) => meter.advance(bytes),
      });
      trust.save(result.metadata.nextState);
      const row = store.recordImported(facts, result.metadata, result.metadataFiles);
      logs.record({
        kind: 'bundle.imported',
        device: null,
        payload: {
          file: facts.fileName,
          bundleId: row.bundleId,
          rootVersion: row.rootVersion,
          timestampVersion: row.timestampVersion,
          expires: row.expires,
          targets: result.metadata.targets.map(
            (t) => `${t.custom.kind}:${t.custom.name}@${t.custom.version}`,
          ),
          copied: result.copied,
          reused: result.reused,
        },
      });
      meter.finish('done');
      return { import: row, copied: result.copied, reused: result.reused, bytesRead: result.bytesRead };
    } catch (thrown) {
      const error = toErrorData(thrown);
      meter.finish(error.code === 'cancelled' ? 'cancelled' : 'refused');
      if (error.code === 'cancelled') {
        logs.record({ kind: 'bundle.cancelled', device: null, payload: { file: facts.fileName } });
      } else {
        store.recordRefused(facts, error);
        logs.record({
          kind: 'bundle.refused',
          device: null,
          payload: { file: facts.fileName, code: error.code, message: error.message },
        });
      }
      throw thrown;
    }
  }
}

function cancelledError(): DeckhandError {
  return new DeckhandError('cancelled', 'The import was cancelled. Nothing from the bundle was kept.');
}
