/**
 * Serial consoles on the Devices screen: a device's boot and log output, watched while it is
 * flashed. A port opens read-only; the technician switches to interactive to type. Output goes live
 * to the UI ('console.output' events) and, batched, into the deploy log: one `console.output` event
 * per port per second (or per 4 KiB), up to a bounded amount per session, so the log keeps what the
 * device printed during a deploy without growing without end. What the technician types is never
 * logged (it may hold a password), only how much.
 */
import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { DeckhandError } from '../../../core/result';
import type { ConsolePort, ConsolePortOpener } from '../../adapters/serial-console/serial-console-port';
import type { ConsoleView } from '../../ipc/contract';
import type { EventBus } from '../event-bus';
import type { LogsService } from '../logs-service';

/** Tuning of the capture into the deploy log. */
export interface ConsoleCaptureOptions {
  /** How often buffered output becomes a log event (default 1000 ms). */
  readonly flushMs?: number;
  /** Largest text of one log event (default 4096 characters). */
  readonly maxEventChars?: number;
  /** Output logged per console session before capture stops (default 256 KiB). */
  readonly maxCaptureChars?: number;
}

interface OpenConsole {
  view: ConsoleView;
  readonly port: ConsolePort;
  readonly decoder: StringDecoder;
  readonly device: string;
  buffer: string;
  captured: number;
  limited: boolean;
  timer: NodeJS.Timeout | null;
}

/** Opens, drives and captures serial consoles. */
export class ConsoleService {
  readonly #openPort: ConsolePortOpener;
  readonly #logs: LogsService;
  readonly #events: EventBus;
  readonly #flushMs: number;
  readonly #maxEventChars: number;
  readonly #maxCaptureChars: number;
  readonly #consoles = new Map<string, OpenConsole>();

  constructor(deps: {
    readonly openPort: ConsolePortOpener;
    readonly logs: LogsService;
    readonly events: EventBus;
    readonly capture?: ConsoleCaptureOptions;
  }) {
    this.#openPort = deps.openPort;
    this.#logs = deps.logs;
    this.#events = deps.events;
    this.#flushMs = deps.capture?.flushMs ?? 1000;
    this.#maxEventChars = deps.capture?.maxEventChars ?? 4096;
    this.#maxCaptureChars = deps.capture?.maxCaptureChars ?? 256 * 1024;
  }

  /** Opens `port` (or, when it is open already, changes its mode) and returns it. */
  async open(input: {
    readonly port: string;
    readonly baud?: number;
    readonly interactive?: boolean;
  }): Promise<ConsoleView> {
    const interactive = input.interactive ?? false;
    const existing = [...this.#consoles.values()].find((c) => c.view.port === input.port);
    if (existing !== undefined) {
      if (existing.view.interactive !== interactive) this.#setInteractive(existing, interactive);
      return existing.view;
    }
    const baud = input.baud ?? 115200;
    const consoleId = randomUUID();
    const device = `serial://${input.port}?baud=${baud}`;
    let entry: OpenConsole | null = null;
    const port = await this.#openPort(
      input.port,
      baud,
      (chunk) => {
        if (entry !== null) this.#output(entry, chunk);
      },
      (error) => {
        if (entry !== null) this.#ended(entry, error === null ? 'the port closed' : error.message);
      },
    );
    entry = {
      view: { consoleId, port: input.port, baud, interactive: false },
      port,
      decoder: new StringDecoder('utf8'),
      device,
      buffer: '',
      captured: 0,
      limited: false,
      timer: null,
    };
    this.#consoles.set(consoleId, entry);
    this.#logs.record({ kind: 'console.opened', device, payload: { consoleId, port: input.port, baud } });
    if (interactive) this.#setInteractive(entry, true);
    return entry.view;
  }

  /** Sends what the technician typed; refused while the console is read-only. */
  write(input: { readonly consoleId: string; readonly data: string }): { readonly written: number } {
    const entry = this.#get(input.consoleId);
    if (!entry.view.interactive)
      throw new DeckhandError(
        'not_allowed',
        'The console is read-only. Switch on Interactive to type to the device.',
      );
    const bytes = Buffer.from(input.data, 'utf8');
    entry.port.write(bytes);
    return { written: bytes.length };
  }

  /** Closes a console; its buffered output is logged first. */
  close(input: { readonly consoleId: string }): { readonly closed: boolean } {
    const entry = this.#consoles.get(input.consoleId);
    if (entry === undefined) return { closed: false };
    this.#ended(entry, null);
    entry.port.close();
    return { closed: true };
  }

  /** Closes every console (backend shutdown). */
  closeAll(): void {
    for (const consoleId of [...this.#consoles.keys()]) this.close({ consoleId });
  }

  #get(consoleId: string): OpenConsole {
    const entry = this.#consoles.get(consoleId);
    if (entry === undefined)
      throw new DeckhandError('not_found', 'That console is closed. Open the serial console again.');
    return entry;
  }

  #setInteractive(entry: OpenConsole, interactive: boolean): void {
    entry.port.setWritable(interactive);
    entry.view = { ...entry.view, interactive };
    this.#flush(entry);
    this.#logs.record({
      kind: 'console.mode',
      device: entry.device,
      payload: { consoleId: entry.view.consoleId, interactive },
    });
  }

  #output(entry: OpenConsole, chunk: Buffer): void {
    const text = entry.decoder.write(chunk);
    if (text === '') return;
    this.#events.emit('console.output', { consoleId: entry.view.consoleId, data: text });
    if (entry.limited) return;
    entry.buffer += text;
    if (entry.buffer.length >= this.#maxEventChars) this.#flush(entry);
    else entry.timer ??= setTimeout(() => this.#flush(entry), this.#flushMs);
  }

  #flush(entry: OpenConsole): void {
    if (entry.timer !== null) clearTimeout(entry.timer);
    entry.timer = null;
    while (entry.buffer.length > 0 && !entry.limited) {
      const room = this.#maxCaptureChars - entry.captured;
      const text = entry.buffer.slice(0, Math.min(this.#maxEventChars, room));
      entry.buffer = entry.buffer.slice(text.length);
      entry.captured += text.length;
      if (text.length > 0)
        this.#logs.record({
          kind: 'console.output',
          device: entry.device,
          payload: { consoleId: entry.view.consoleId, text },
        });
      if (entry.captured >= this.#maxCaptureChars) {
        entry.limited = true;
        entry.buffer = '';
        this.#logs.record({
          kind: 'console.capture_limited',
          device: entry.device,
          payload: { consoleId: entry.view.consoleId, capturedChars: entry.captured },
        });
      }
    }
  }

  #ended(entry: OpenConsole, reason: string | null): void {
    if (!this.#consoles.delete(entry.view.consoleId)) return;
    const rest = entry.decoder.end();
    if (rest !== '' && !entry.limited) entry.buffer += rest;
    this.#flush(entry);
    this.#logs.record({
      kind: 'console.closed',
      device: entry.device,
      payload: { consoleId: entry.view.consoleId, reason },
    });
    this.#events.emit('console.closed', { consoleId: entry.view.consoleId, reason });
  }
}
