/**
 * A simulated device as its own process (`deckhand agent … --json`), for benchmarks and tests that
 * must keep the laptop's process apart from the devices' (memory figures, killing one side).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DeckhandError } from '../../../core/result';

const DECKHAND_BIN = fileURLToPath(new URL('../../../bin/deckhand.mjs', import.meta.url));

/** A running agent process. */
export interface AgentProcess {
  readonly uri: string;
  readonly fingerprint: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `deckhand agent` on 127.0.0.1 (no inference server) and waits for its address. */
export async function spawnAgentProcess(options: {
  readonly stateDir: string;
  readonly hardware: string;
  readonly serialNumber: string;
  readonly trustRoot: string;
  readonly listen?: string;
}): Promise<AgentProcess> {
  const child = spawn(
    process.execPath,
    [
      DECKHAND_BIN,
      'agent',
      '--state',
      options.stateDir,
      '--listen',
      options.listen ?? '127.0.0.1:0',
      '--hardware',
      options.hardware,
      '--serial-number',
      options.serialNumber,
      '--trust',
      options.trustRoot,
      '--no-inference',
      '--no-advertise',
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let output = '';
  child.stdout?.setEncoding('utf8');
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (text: string) => {
      output += text;
      const end = output.indexOf('\n');
      if (end >= 0) resolve(output.slice(0, end));
    });
    child.once('exit', (code) =>
      reject(
        new DeckhandError(
          'internal',
          `The agent ${options.serialNumber} exited (${code}) before it listened.`,
        ),
      ),
    );
  });
  const started = JSON.parse(line) as { uri: string; fingerprint: string };
  return {
    uri: started.uri,
    fingerprint: started.fingerprint,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
