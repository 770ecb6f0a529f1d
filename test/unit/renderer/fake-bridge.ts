/** A fake DeckhandApi over an in-memory log, recording every call, for renderer tests. */
import type { ChainStatus } from '../../../core/eventlog/chain';
import type { Result } from '../../../core/result';
import type {
  DeckhandApi,
  DeployableTarget,
  DeployRunView,
  DeviceView,
  EventName,
  EventPayloads,
  LogRow,
  VerbInput,
  VerbName,
  VerbOutput,
} from '../../../main/ipc/contract';

/** One recorded call. */
export interface RecordedCall {
  readonly verb: VerbName;
  readonly input: unknown;
}

/** Options for the fake. */
export interface FakeBridgeOptions {
  readonly rows?: number;
  readonly kinds?: readonly string[];
  readonly devices?: readonly string[];
  readonly chain?: ChainStatus;
}

/** The fake and the handles a test drives it with. */
export interface FakeBridge {
  readonly api: DeckhandApi;
  readonly calls: RecordedCall[];
  /** The `logs.query` inputs, in order. */
  readonly queries: () => readonly VerbInput<'logs.query'>[];
  /** Appends an event to the fake log and emits 'log.appended'. */
  readonly append: (kind: string, device: string | null) => void;
  /** Replaces the chain status 'logs.verify' returns. */
  setChain(chain: ChainStatus): void;
  /** The bundles list ('bundles.list') and how 'bundles.import' answers. */
  readonly bundles: {
    trust: VerbOutput<'bundles.list'>['trust'];
    imports: VerbOutput<'bundles.list'>['imports'][number][];
    offers: VerbOutput<'bundles.offers'>['offers'][number][];
    respond: (input: VerbInput<'bundles.import'>) => Promise<Result<VerbOutput<'bundles.import'>>>;
  };
  /** The device list; 'devices.add' appends an `unconfirmed` TLS device seen with `fingerprint`. */
  readonly devices: { list: DeviceView[]; fingerprint: string };
  /** Deploy targets, runs (newest first) and the overview; 'deploy.start' adds a running run. */
  readonly deploy: {
    targets: DeployableTarget[];
    runs: DeployRunView[];
    overview: VerbOutput<'overview.summary'>;
    /** The plan of each device (default: deploy). */
    planOf: (device: string) => VerbOutput<'deploy.plan'>['devices'][number];
  };
  /** What 'diagnostics.device' answers, the finished runs, and the runId 'diagnostics.start' returns. */
  readonly diagnostics: {
    device: VerbOutput<'diagnostics.device'>;
    runs: VerbOutput<'diagnostics.run'>[];
    nextRunId: string;
  };
  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void;
}

/** A device row for renderer tests. */
export function makeDevice(uri: string, patch: Partial<DeviceView> = {}): DeviceView {
  return {
    uri,
    link: uri.startsWith('serial:') ? 'serial' : 'tcp',
    source: 'manual',
    manual: true,
    label: uri,
    state: 'online',
    seenFingerprint: 'AB:CD:EF:01',
    pinnedFingerprint: 'AB:CD:EF:01',
    identity: {
      hardware: 'jetson-orin',
      serialNumber: 'SN-1',
      agentVersion: '0.1.0',
      keyFingerprint: '12:34',
      trustRootPinned: true,
    },
    status: {
      booted: 'a',
      confirmed: 'a',
      pending: null,
      trial: false,
      slots: { a: { name: 'edge-app', version: '1.0.0', releaseCounter: 1 }, b: null },
      counter: 1,
      models: [],
      health: { healthy: true, detail: 'ok' },
      freeBytes: 8e9,
    },
    lastSeen: '2026-01-01T00:00:00.000Z',
    error: null,
    ...patch,
  };
}

/** A deployable target for renderer tests. */
export function makeTarget(
  name: string,
  version: string,
  patch: Partial<DeployableTarget> = {},
): DeployableTarget {
  return {
    path: `${name}-${version}.tar`,
    kind: 'release',
    name,
    version,
    sha256: 'a'.repeat(64),
    length: 262_144,
    importId: 1,
    hardware: ['jetson-orin'],
    installMethod: 'archive',
    bundleExpires: '2027-01-01T00:00:00.000Z',
    ...patch,
  };
}

/** A run of `target` on `devices`, every device at `outcome` unless `patch` says otherwise. */
export function makeRun(
  id: string,
  target: DeployableTarget,
  devices: readonly (Partial<DeployRunView['devices'][number]> & { readonly device: string })[],
  patch: Partial<DeployRunView> = {},
): DeployRunView {
  return {
    id,
    createdAt: '2026-01-01T00:00:00.000Z',
    target,
    concurrency: devices.length,
    status: 'running',
    finishedAt: null,
    devices: devices.map((d) => ({
      step: 'queued',
      outcome: 'pending',
      errorCode: null,
      reason: null,
      updatedAt: '2026-01-01T00:00:00.000Z',
      progress: null,
      ...d,
    })),
    ...patch,
  };
}

/** Deterministic row `seq` of the fake log: kinds and devices cycle. */
export function makeRow(seq: number, kinds: readonly string[], devices: readonly string[]): LogRow {
  const kind = kinds[seq % kinds.length] ?? 'event';
  const device = seq % 5 === 0 ? null : (devices[seq % devices.length] ?? null);
  return {
    seq,
    time: new Date(Date.UTC(2025, 0, 1) + seq * 1000).toISOString(),
    kind,
    device,
    payload: { step: seq % 7, target: `app@1.${seq % 3}` },
    hash: seq.toString(16).padStart(64, 'a'),
  };
}

/** Builds a fake whose log holds `rows` events (seq 1..rows; queries return newest first). */
export function createFakeBridge(options: FakeBridgeOptions = {}): FakeBridge {
  const kinds = options.kinds ?? ['deploy.started', 'deploy.committed', 'bundle.imported', 'deploy.failed'];
  const devices = options.devices ?? ['tcp://rig-a:7700', 'serial:///dev/ttyUSB0', 'tcp://rig-b:7700'];
  const log: LogRow[] = [];
  for (let seq = 1; seq <= (options.rows ?? 0); seq += 1) log.push(makeRow(seq, kinds, devices));
  let chain: ChainStatus = options.chain ?? { valid: true, size: log.length, head: 'f'.repeat(64) };
  const calls: RecordedCall[] = [];
  let syncStatus: VerbOutput<'sync.status'> = {
    enrolled: false,
    technician: null,
    hq: null,
    reachable: null,
    logSize: log.length,
    pending: log.length,
    lastSyncAt: null,
    lastReceipt: null,
    running: false,
    lastError: null,
  };
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const bundles: FakeBridge['bundles'] = {
    trust: null,
    imports: [],
    offers: [],
    respond: () =>
      Promise.resolve({ ok: false, error: { code: 'not_found', message: 'There is no file at that path.' } }),
  };

  const reply = <T>(value: T): Promise<Result<T>> => Promise.resolve({ ok: true, value });
  const deviceState: FakeBridge['devices'] = {
    list: [],
    fingerprint:
      'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89',
  };
  const missing = (uri: string) =>
    Promise.resolve({
      ok: false,
      error: { code: 'not_found', message: `${uri} is not in the device list.` },
    } as const);

  const deploy: FakeBridge['deploy'] = {
    targets: [],
    runs: [],
    overview: { devices: [], dora: [] },
    planOf: (device) => ({ device, action: 'deploy', code: null, reason: 'edge-app 1.0.0 → 1.1.0' }),
  };
  const startRun = (targetRef: { importId: number; path: string }, devices: readonly string[]) => {
    const target = deploy.targets.find((t) => t.importId === targetRef.importId && t.path === targetRef.path);
    if (!target)
      return Promise.resolve({
        ok: false,
        error: { code: 'not_found', message: 'No such target.' },
      } as const);
    const run = makeRun(
      `run-${deploy.runs.length + 1}`,
      target,
      devices.map((device) => ({ device })),
    );
    deploy.runs = [run, ...deploy.runs];
    return reply(run);
  };

  const diagnostics: FakeBridge['diagnostics'] = {
    device: { inferenceUrl: 'http://127.0.0.1:8000', samplerSource: 'cpu', models: [] },
    runs: [],
    nextRunId: '00000000-0000-4000-8000-000000000001',
  };
  const findRun = (runId: string) => {
    const run = diagnostics.runs.find((r) => r.runId === runId);
    return run
      ? reply(run)
      : Promise.resolve({ ok: false, error: { code: 'not_found', message: `No run ${runId}.` } } as const);
  };

  const api = {
    'diagnostics.device': (input: VerbInput<'diagnostics.device'>) => {
      calls.push({ verb: 'diagnostics.device', input });
      return reply(diagnostics.device);
    },
    'diagnostics.start': (input: VerbInput<'diagnostics.start'>) => {
      calls.push({ verb: 'diagnostics.start', input });
      return reply({ runId: diagnostics.nextRunId });
    },
    'diagnostics.cancel': (input: VerbInput<'diagnostics.cancel'>) => {
      calls.push({ verb: 'diagnostics.cancel', input });
      return reply({ cancelled: true });
    },
    'diagnostics.runs': (input: VerbInput<'diagnostics.runs'>) => {
      calls.push({ verb: 'diagnostics.runs', input });
      return reply({
        runs: diagnostics.runs.map((r) => ({
          runId: r.runId,
          device: r.device,
          modelName: r.modelName,
          modelVersion: r.modelVersion,
          placement: r.placement,
          startedAt: r.startedAt,
          verdict: r.verdict.status,
          throughput: r.levels[0]?.throughput ?? 0,
          p95Ms: r.levels[0]?.latencyMs.p95 ?? 0,
          successRate: r.totals.successRate,
        })),
      });
    },
    'diagnostics.run': (input: VerbInput<'diagnostics.run'>) => {
      calls.push({ verb: 'diagnostics.run', input });
      return findRun(input.runId);
    },
    'diagnostics.export': (input: VerbInput<'diagnostics.export'>) => {
      calls.push({ verb: 'diagnostics.export', input });
      return reply({ fileName: `run.${input.format}`, mediaType: 'text/plain', content: 'x' });
    },
    'deploy.targets': (input: undefined) => {
      calls.push({ verb: 'deploy.targets', input });
      return reply({ targets: [...deploy.targets] });
    },
    'deploy.plan': (input: VerbInput<'deploy.plan'>) => {
      calls.push({ verb: 'deploy.plan', input });
      const target = deploy.targets.find((t) => t.path === input.target.path) ?? makeTarget('x', '0');
      return reply({ target, devices: input.devices.map((d) => deploy.planOf(d)) });
    },
    'deploy.start': (input: VerbInput<'deploy.start'>) => {
      calls.push({ verb: 'deploy.start', input });
      return startRun(input.target, input.devices);
    },
    'deploy.cancel': (input: VerbInput<'deploy.cancel'>) => {
      calls.push({ verb: 'deploy.cancel', input });
      return reply({ cancelled: true });
    },
    'deploy.runs': (input: VerbInput<'deploy.runs'>) => {
      calls.push({ verb: 'deploy.runs', input });
      return reply({ runs: [...deploy.runs] });
    },
    'deploy.retry': (input: VerbInput<'deploy.retry'>) => {
      calls.push({ verb: 'deploy.retry', input });
      const run = deploy.runs.find((r) => r.id === input.runId);
      const again = run?.devices.filter((d) => d.outcome !== 'committed' && d.outcome !== 'refused') ?? [];
      return run
        ? startRun(
            run.target,
            again.map((d) => d.device),
          )
        : startRun({ importId: -1, path: '' }, []);
    },
    'deploy.rollback': (input: VerbInput<'deploy.rollback'>) => {
      calls.push({ verb: 'deploy.rollback', input });
      return reply({ detail: 'Rolled back to slot a (edge-app 1.0.0).' });
    },
    'overview.summary': (input: undefined) => {
      calls.push({ verb: 'overview.summary', input });
      return reply(deploy.overview);
    },
    'app.info': (input: undefined) => {
      calls.push({ verb: 'app.info', input });
      return reply({
        name: 'Deckhand',
        version: '0.1.0',
        dataDir: '/home/tech/.config/Deckhand',
        host: 'browser',
        platform: 'linux',
      } as const);
    },
    'logs.query': (input: VerbInput<'logs.query'>) => {
      calls.push({ verb: 'logs.query', input });
      // Evaluate the filter per row, newest first, like the real service.
      const matching: LogRow[] = [];
      for (let i = log.length - 1; i >= 0; i -= 1) {
        const row = log[i]!;
        if (input.kind !== undefined && row.kind !== input.kind) continue;
        if (input.device !== undefined && row.device !== input.device) continue;
        matching.push(row);
      }
      return reply({
        total: matching.length,
        rows: matching.slice(input.offset, input.offset + input.limit),
      });
    },
    'logs.facets': (input: undefined) => {
      calls.push({ verb: 'logs.facets', input });
      return reply({ kinds: [...new Set(log.map((row) => row.kind))].sort(), devices: [...devices].sort() });
    },
    'logs.verify': (input: undefined) => {
      calls.push({ verb: 'logs.verify', input });
      return reply(chain);
    },
    'sync.status': (input: VerbInput<'sync.status'>) => {
      calls.push({ verb: 'sync.status', input });
      return reply(syncStatus);
    },
    'sync.enrol': (input: VerbInput<'sync.enrol'>) => {
      calls.push({ verb: 'sync.enrol', input });
      syncStatus = {
        ...syncStatus,
        enrolled: true,
        technician: { keyId: 'c'.repeat(32), laptopId: 'laptop-1', name: input.technicianName },
        hq: { url: input.hqUrl, name: 'Test HQ', keyId: 'd'.repeat(32), fingerprint: 'AB:CD' },
        reachable: true,
      };
      return reply(syncStatus);
    },
    'sync.now': (input: undefined) => {
      calls.push({ verb: 'sync.now', input });
      const sent = syncStatus.pending;
      const receipt = {
        size: log.length,
        head: 'e'.repeat(64),
        time: '2026-01-01T00:00:00.000Z',
        signature: 'sig',
      };
      syncStatus = { ...syncStatus, pending: 0, lastReceipt: receipt, lastSyncAt: receipt.time };
      return reply({ sent, batches: sent === 0 ? 0 : 1, receipt });
    },
    'bundles.list': (input: undefined) => {
      calls.push({ verb: 'bundles.list', input });
      return reply({ trust: bundles.trust, imports: [...bundles.imports] });
    },
    'bundles.import': (input: VerbInput<'bundles.import'>) => {
      calls.push({ verb: 'bundles.import', input });
      return bundles.respond(input);
    },
    'bundles.cancelImport': (input: VerbInput<'bundles.cancelImport'>) => {
      calls.push({ verb: 'bundles.cancelImport', input });
      return reply({ cancelled: true });
    },
    'bundles.offers': (input: undefined) => {
      calls.push({ verb: 'bundles.offers', input });
      return reply({ offers: [...bundles.offers] });
    },
    'bundles.pickFile': (input: undefined) => {
      calls.push({ verb: 'bundles.pickFile', input });
      return Promise.resolve({
        ok: false,
        error: { code: 'not_found', message: 'No file dialog here.' },
      } as const);
    },
    'sync.cancel': (input: undefined) => {
      calls.push({ verb: 'sync.cancel', input });
      return reply({ cancelled: false });
    },
    'devices.list': (input: undefined) => {
      calls.push({ verb: 'devices.list', input });
      return reply({ devices: [...deviceState.list] });
    },
    'devices.add': (input: VerbInput<'devices.add'>) => {
      calls.push({ verb: 'devices.add', input });
      const device = makeDevice(input.uri, {
        state: 'unconfirmed',
        seenFingerprint: deviceState.fingerprint,
        pinnedFingerprint: null,
        identity: null,
        status: null,
      });
      deviceState.list = [...deviceState.list.filter((d) => d.uri !== input.uri), device];
      return reply(device);
    },
    'devices.remove': (input: VerbInput<'devices.remove'>) => {
      calls.push({ verb: 'devices.remove', input });
      const before = deviceState.list.length;
      deviceState.list = deviceState.list.filter((d) => d.uri !== input.uri);
      return reply({ removed: deviceState.list.length < before });
    },
    'devices.refresh': (input: VerbInput<'devices.refresh'>) => {
      calls.push({ verb: 'devices.refresh', input });
      return reply({ devices: [...deviceState.list] });
    },
    'devices.confirmFingerprint': (input: VerbInput<'devices.confirmFingerprint'>) => {
      calls.push({ verb: 'devices.confirmFingerprint', input });
      const found = deviceState.list.find((d) => d.uri === input.uri);
      if (!found) return missing(input.uri);
      const device = makeDevice(input.uri, {
        seenFingerprint: input.fingerprint,
        pinnedFingerprint: input.fingerprint,
      });
      deviceState.list = deviceState.list.map((d) => (d.uri === input.uri ? device : d));
      return reply(device);
    },
    on: (event: EventName, listener: (payload: unknown) => void) => {
      let set = listeners.get(event);
      if (set === undefined) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
  };

  const emit = (event: EventName, payload: unknown): void => {
    for (const listener of listeners.get(event) ?? []) listener(payload);
  };

  return {
    // The literal's `on` is not generic; the fake emits each event with its contract payload.
    api: api as unknown as DeckhandApi,
    calls,
    queries: () =>
      calls.filter((call) => call.verb === 'logs.query').map((call) => call.input as VerbInput<'logs.query'>),
    append: (kind, device) => {
      const seq = log.length + 1;
      log.push({ ...makeRow(seq, [kind], [device ?? '']), kind, device });
      emit('log.appended', { seq, kind, device });
    },
    setChain: (next) => {
      chain = next;
    },
    bundles,
    devices: deviceState,
    deploy,
    diagnostics,
    emit: (event, payload) => emit(event, payload),
  };
}
