/**
 * The privileged image-writer helper: a small process the app starts through pkexec or sudo (writing
 * raw drives needs root), so the app itself never runs privileged. It talks only over its own stdin
 * and stdout (core/image-writer/helper-channel: a key first, then HMAC-authenticated frames), never
 * a network port, and exits as soon as stdin closes, which is when the app exits or dies.
 *
 * Requests:  { type: 'write', id, request: { source, bmap?, targets, verify? } }  { type: 'cancel', id }
 * Answers:   { type: 'ready', pid, uid }  { type: 'progress', id, record }
 *            { type: 'result', id, outcome }  { type: 'error', id, error }
 */
import { pathToFileURL } from 'node:url';
import { CHANNEL_KEY_BYTES, FrameReader, FrameWriter } from '../../../core/image-writer/helper-channel';
import { DeckhandError, toErrorData } from '../../../core/result';
import { writeImage } from './image-writer';

/** First bytes the app sends, before the key: tells a stray process apart from the app. */
export const HELPER_MAGIC = Buffer.from('DHW1');

interface WriteMessage {
  readonly type: 'write';
  readonly id: string;
  readonly request: { source: string; bmap?: string; targets: string[]; verify?: boolean };
}

function isWrite(message: unknown): message is WriteMessage {
  const m = message as Partial<WriteMessage> | null;
  return (
    m?.type === 'write' &&
    typeof m.id === 'string' &&
    typeof m.request?.source === 'string' &&
    Array.isArray(m.request.targets) &&
    m.request.targets.every((t) => typeof t === 'string') &&
    (m.request.bmap === undefined || typeof m.request.bmap === 'string')
  );
}

/** Runs the helper on the given streams until `input` ends; resolves with the exit code. */
export function runPrivilegedWriter(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): Promise<number> {
  return new Promise((resolve) => {
    let header = Buffer.alloc(0);
    let reader: FrameReader | null = null;
    let writer: FrameWriter | null = null;
    const jobs = new Map<string, AbortController>();
    const send = (message: unknown): void => {
      if (writer !== null) output.write(writer.frame(message));
    };
    const stop = (code: number): void => {
      for (const job of jobs.values()) job.abort();
      input.removeAllListeners('data');
      resolve(code);
    };
    input.on('data', (chunk: Buffer) => {
      try {
        if (reader === null) {
          header = Buffer.concat([header, chunk]);
          if (header.length < HELPER_MAGIC.length + CHANNEL_KEY_BYTES) return;
          if (!header.subarray(0, HELPER_MAGIC.length).equals(HELPER_MAGIC))
            throw new DeckhandError('unauthorized', 'The image-writer helper was not started by Deckhand.');
          const key = header.subarray(HELPER_MAGIC.length, HELPER_MAGIC.length + CHANNEL_KEY_BYTES);
          reader = new FrameReader(Buffer.from(key));
          writer = new FrameWriter(Buffer.from(key));
          send({ type: 'ready', pid: process.pid, uid: process.getuid?.() ?? null });
          chunk = header.subarray(HELPER_MAGIC.length + CHANNEL_KEY_BYTES);
        }
        for (const message of reader.push(chunk)) handle(message);
      } catch (error) {
        // A bad frame means someone other than the app is on the channel: stop at once.
        process.stderr.write(`deckhand image writer: ${toErrorData(error).message}\n`);
        stop(3);
      }
    });
    input.on('end', () => stop(0));
    input.on('close', () => stop(0));

    const handle = (message: unknown): void => {
      const m = message as { type?: string; id?: string };
      if (m.type === 'cancel' && typeof m.id === 'string') {
        jobs.get(m.id)?.abort();
        return;
      }
      if (!isWrite(message)) {
        send({
          type: 'error',
          id: m.id ?? null,
          error: { code: 'invalid_input', message: 'Unknown helper request.' },
        });
        return;
      }
      const controller = new AbortController();
      jobs.set(message.id, controller);
      writeImage({
        ...message.request,
        jobId: message.id,
        signal: controller.signal,
        onProgress: (record) => send({ type: 'progress', id: message.id, record }),
      })
        .then((outcome) => send({ type: 'result', id: message.id, outcome }))
        .catch((error: unknown) => send({ type: 'error', id: message.id, error: toErrorData(error) }))
        .finally(() => jobs.delete(message.id));
    };
  });
}

// Started as its own process (through pkexec/sudo): serve stdin/stdout, then exit.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runPrivilegedWriter(process.stdin, process.stdout).then((code) => process.exit(code));
}
