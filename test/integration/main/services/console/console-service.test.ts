/**
 * The serial console service over a real socat pty pair: the test plays the device on one end, the
 * console watches the other. Output arrives live, lands batched in the real deploy log, typing is
 * refused until Interactive is on, and the device end going away closes the console.
 */
import { constants, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openConsolePort } from '../../../../../main/adapters/serial-console/serial-console-port';
import { openDatabase } from '../../../../../main/db/database';
import { EventLogStore } from '../../../../../main/db/event-log-store';
import { ConsoleService } from '../../../../../main/services/console/console-service';
import { createEventBus } from '../../../../../main/services/event-bus';
import { LogsService } from '../../../../../main/services/logs-service';
import { hasSocat, openPtyPair, type PtyPair } from '../../../../support/noisy-bridge';
import { requirePrerequisite } from '../../../../support/prerequisites';
import { useTempDirs } from '../../../../support/temp-dir';

const present = requirePrerequisite(hasSocat(), 'socat', 'apt-get install socat');

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(!present)('console service (socat pty pair)', () => {
  const tempDir = useTempDirs('deckhand-console-');
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  async function setup(capture = { flushMs: 100, maxEventChars: 64, maxCaptureChars: 1000 }) {
    const pair: PtyPair = await openPtyPair();
    cleanups.push(() => pair.close());
    const db = openDatabase(tempDir());
    cleanups.push(() => db.close());
    const events = createEventBus();
    const logs = new LogsService(new EventLogStore(db), events);
    const output: string[] = [];
    const closed: { consoleId: string; reason: string | null }[] = [];
    events.subscribe((name, payload) => {
      if (name === 'console.output') output.push((payload as { data: string }).data);
      if (name === 'console.closed') closed.push(payload as { consoleId: string; reason: string | null });
    });
    const service = new ConsoleService({ openPort: openConsolePort, logs, events, capture });
    cleanups.push(() => service.closeAll());
    // Oldest first (the query pages newest first).
    const logged = (kind: string): Record<string, unknown>[] =>
      [...logs.query({ offset: 0, limit: 1000, kind }).rows]
        .reverse()
        .map((row) => row.payload as Record<string, unknown>);
    return { pair, service, output, closed, logged };
  }

  it('shows what the device prints and keeps it, batched, in the deploy log', async () => {
    const { pair, service, output, logged } = await setup();
    const view = await service.open({ port: pair.b, baud: 115200 });
    expect(view).toMatchObject({ port: pair.b, baud: 115200, interactive: false });
    const boot = ['U-Boot 2024.01 (Jan 01 2024)', 'Starting kernel ...', 'edge-os login: '];
    writeFileSync(pair.a, boot.join('\n') + '\n');
    await until(() => output.join('').includes('edge-os login:'), 'the boot lines');
    expect(output.join('')).toBe(boot.join('\n') + '\n');

    await until(
      () =>
        logged('console.output').length > 0 &&
        logged('console.output')
          .map((p) => p['text'])
          .join('') === output.join(''),
      'the log',
    );
    const batches = logged('console.output');
    for (const batch of batches) expect(String(batch['text']).length).toBeLessThanOrEqual(64);
    expect(logged('console.opened')).toEqual([{ consoleId: view.consoleId, port: pair.b, baud: 115200 }]);
  });

  it('refuses typing while read-only, and sends it once Interactive is on', async () => {
    const { pair, service } = await setup();
    const view = await service.open({ port: pair.b });
    expect(() => service.write({ consoleId: view.consoleId, data: 'reboot\n' })).toThrow(
      expect.objectContaining({ code: 'not_allowed' }),
    );
    const interactive = await service.open({ port: pair.b, interactive: true });
    expect(interactive).toMatchObject({ consoleId: view.consoleId, interactive: true });
    // The device end, read asynchronously (a blocking read would stall the console's own write).
    const deviceEnd = await open(pair.a, constants.O_RDONLY | constants.O_NOCTTY);
    try {
      expect(service.write({ consoleId: view.consoleId, data: 'help\n' })).toEqual({ written: 5 });
      const { buffer, bytesRead } = await deviceEnd.read(Buffer.alloc(16), 0, 16, null);
      expect(buffer.subarray(0, bytesRead).toString()).toBe('help\n');
    } finally {
      await deviceEnd.close();
    }
  });

  it('stops capturing at the bound but keeps showing output', async () => {
    const { pair, service, output, logged } = await setup({
      flushMs: 50,
      maxEventChars: 100,
      maxCaptureChars: 250,
    });
    await service.open({ port: pair.b });
    const line = 'x'.repeat(99) + '\n';
    writeFileSync(pair.a, line.repeat(6));
    await until(() => output.join('').length === 600, 'all output');
    await until(() => logged('console.capture_limited').length === 1, 'the capture limit');
    const captured = logged('console.output')
      .map((p) => String(p['text']))
      .join('');
    expect(captured).toBe(line.repeat(6).slice(0, 250));
  });

  it('closes when the device end goes away, and says why', async () => {
    const { pair, service, closed, logged } = await setup();
    const view = await service.open({ port: pair.b });
    pair.close();
    await until(() => closed.length === 1, 'the close');
    expect(closed[0]).toMatchObject({ consoleId: view.consoleId });
    expect(closed[0]?.reason).not.toBeNull();
    expect(() => service.write({ consoleId: view.consoleId, data: 'x' })).toThrow(
      expect.objectContaining({ code: 'not_found' }),
    );
    expect(logged('console.closed')).toHaveLength(1);
  });

  it('says so when the port does not exist', async () => {
    const { service } = await setup();
    await expect(service.open({ port: '/dev/deckhand-no-such-port' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
