import { describe, expect, it, vi, type Mock } from 'vitest';
import { DeckhandError } from '../../../../core/result';
import { VERB_NAMES } from '../../../../main/ipc/contract';
import { createGate, type VerbHandlers } from '../../../../main/ipc/gate';

const SYNC_STATUS = {
  enrolled: false,
  technician: null,
  hq: null,
  reachable: null,
  logSize: 0,
  pending: 0,
  lastSyncAt: null,
  lastReceipt: null,
  running: false,
  lastError: null,
};

function spyHandlers(): { readonly [V in keyof VerbHandlers]: VerbHandlers[V] & Mock<VerbHandlers[V]> } {
  return {
    'app.info': vi.fn(() => ({
      name: 'Deckhand',
      version: '1',
      dataDir: '/d',
      host: 'browser' as const,
      platform: 'linux',
    })),
    'logs.query': vi.fn(() => ({ total: 0, rows: [] })),
    'logs.facets': vi.fn(() => ({ kinds: [], devices: [] })),
    'logs.verify': vi.fn(() => ({ valid: true as const, size: 0, head: '0'.repeat(64) })),
    'sync.status': vi.fn(() => SYNC_STATUS),
    'sync.enrol': vi.fn(() => SYNC_STATUS),
    'sync.now': vi.fn(() => ({
      sent: 0,
      batches: 0,
      receipt: { size: 0, head: '0'.repeat(64), time: 't', signature: 's' },
    })),
    'bundles.list': vi.fn(() => ({ trust: null, imports: [] })),
    'bundles.import': vi.fn(() => ({}) as never),
    'bundles.cancelImport': vi.fn(() => ({ cancelled: false })),
    'bundles.offers': vi.fn(() => ({ offers: [] })),
    'bundles.pickFile': vi.fn(() => ({ path: null })),
    'sync.cancel': vi.fn(() => ({ cancelled: false })),
    'devices.list': vi.fn(() => ({ devices: [] })),
    'devices.add': vi.fn(() => ({}) as never),
    'devices.remove': vi.fn(() => ({ removed: false })),
    'devices.refresh': vi.fn(() => ({ devices: [] })),
    'devices.confirmFingerprint': vi.fn(() => ({}) as never),
    'deploy.targets': vi.fn(() => ({ targets: [] })),
    'deploy.plan': vi.fn(() => ({}) as never),
    'deploy.start': vi.fn(() => ({}) as never),
    'deploy.cancel': vi.fn(() => ({ cancelled: false })),
    'deploy.runs': vi.fn(() => ({ runs: [] })),
    'deploy.retry': vi.fn(() => ({}) as never),
    'deploy.rollback': vi.fn(() => ({ detail: '' })),
    'overview.summary': vi.fn(() => ({ devices: [], dora: [] })),
    'diagnostics.device': vi.fn(() => ({ inferenceUrl: null, samplerSource: null, models: [] })),
    'diagnostics.start': vi.fn(() => ({ runId: '' })),
    'diagnostics.cancel': vi.fn(() => ({ cancelled: false })),
    'diagnostics.runs': vi.fn(() => ({ runs: [] })),
    'diagnostics.run': vi.fn(() => ({}) as never),
    'diagnostics.export': vi.fn(() => ({ fileName: '', mediaType: '', content: '' })),
    'console.open': vi.fn(() => ({}) as never),
    'console.write': vi.fn(() => ({ written: 0 })),
    'console.close': vi.fn(() => ({ closed: false })),
  };
}

const trusted = { trusted: true } as const;

describe('IPC gate', () => {
  it('has a handler for every verb in the contract', () => {
    expect(Object.keys(spyHandlers()).sort()).toEqual([...VERB_NAMES].sort());
  });

  it('runs the handler with parsed input and returns ok', async () => {
    const handlers = spyHandlers();
    const gate = createGate(handlers);
    await expect(
      gate('logs.query', { offset: 0, limit: 10, kind: '  deploy.step ' }, trusted),
    ).resolves.toEqual({ ok: true, value: { total: 0, rows: [] } });
    expect(handlers['logs.query']).toHaveBeenCalledWith({ offset: 0, limit: 10, kind: 'deploy.step' });
  });

  it.each([
    ['a missing field', { offset: 0 }],
    ['a negative offset', { offset: -1, limit: 10 }],
    ['an oversized page', { offset: 0, limit: 1_000_000 }],
    ['an extra field', { offset: 0, limit: 10, sql: 'DROP TABLE events' }],
    ['a string', 'offset=0'],
    ['nothing', undefined],
  ])('answers invalid_input for %s and executes nothing', async (_what, input) => {
    const handlers = spyHandlers();
    const result = await createGate(handlers)('logs.query', input, trusted);
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(handlers['logs.query']).not.toHaveBeenCalled();
  });

  it('refuses input for a verb that takes none', async () => {
    const handlers = spyHandlers();
    expect(await createGate(handlers)('logs.verify', { sneaky: 1 }, trusted)).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    expect(handlers['logs.verify']).not.toHaveBeenCalled();
  });

  it('refuses an untrusted sender before looking at the request', async () => {
    const handlers = spyHandlers();
    const result = await createGate(handlers)('logs.verify', undefined, {
      trusted: false,
      reason: 'subframe',
    });
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'untrusted_sender', details: { reason: 'subframe' } },
    });
    expect(handlers['logs.verify']).not.toHaveBeenCalled();
  });

  it.each(['toString', '__proto__', 'constructor', 'logs.drop', 42])(
    'refuses unknown verb %s',
    async (verb) => {
      expect(await createGate(spyHandlers())(verb, undefined, trusted)).toMatchObject({
        ok: false,
        error: { code: 'unknown_verb' },
      });
    },
  );

  it('passes a service DeckhandError through with its code', async () => {
    const handlers = spyHandlers();
    handlers['logs.verify'].mockImplementation(() => {
      throw new DeckhandError('db_locked', 'In use.');
    });
    expect(await createGate(handlers)('logs.verify', undefined, trusted)).toEqual({
      ok: false,
      error: { code: 'db_locked', message: 'In use.' },
    });
  });

  it('hides internal errors from the UI and logs them', async () => {
    const handlers = spyHandlers();
    handlers['logs.verify'].mockImplementation(() => {
      throw new Error('/home/tech/secret/path exploded');
    });
    const log = vi.fn();
    const result = await createGate(handlers, log)('logs.verify', undefined, trusted);
    expect(result).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(result)).not.toContain('secret');
    expect(log).toHaveBeenCalledWith('logs.verify', expect.any(Error));
  });
});
