/** `deckhand host`: serve the UI to a browser on this machine (127.0.0.1 only) until interrupted. */
import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeckhandError } from '../../../core/result';
import { startBrowserHost } from '../../host/browser-host';
import { createDiscoverySources } from '../../adapters/discovery/index';
import { openBackend } from '../../services/backend';
import { EXIT, printJson } from '../cli-io';
import { cliKeyProtector } from '../key-protection';
import { parseCommandArgs, type CommandContext } from '../main';

/** The built renderer, relative to this source file. */
const RENDERER_DIR = fileURLToPath(new URL('../../../out/renderer/', import.meta.url));

/** Starts the browser host and waits for SIGINT/SIGTERM. */
export async function runHostCommand(context: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(
    context.args,
    { port: { type: 'string', default: '0' }, mdns: { type: 'boolean', default: false } },
    false,
  );
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new DeckhandError('usage', '--port must be 0–65535.');
  if (!existsSync(`${RENDERER_DIR}index.html`)) {
    throw new DeckhandError(
      'not_found',
      'The Deckhand UI is not built yet. Run "npm run build" (or "npm run start:browser") first.',
    );
  }
  const backend = openBackend({
    dataDir: context.dataDir,
    host: 'browser',
    version: context.version,
    // The browser host has no keychain; the technician key is protected by DECKHAND_KEY_PASSPHRASE_FILE.
    keyProtector: cliKeyProtector(undefined, context.io.env),
    // Offer bundles on removable drives; DECKHAND_DRIVE_ROOTS (folders of mount points) overrides where to look.
    watchDrives: true,
    // Serial ports and USB always; mDNS (multicast on the LAN) only when asked with --mdns.
    // DECKHAND_FAKE_USB_BUS (tests, demos): a JSON file stands in for the USB bus (adapters/discovery/fake-usb-bus.ts).
    discoverySources: createDiscoverySources({
      mdns: values.mdns,
      fakeUsbBus: context.io.env['DECKHAND_FAKE_USB_BUS'] || undefined,
    }),
    driveRoots: context.io.env['DECKHAND_DRIVE_ROOTS']?.split(delimiter).filter((root) => root !== ''),
  });
  const host = await startBrowserHost({
    handlers: backend.handlers,
    events: backend.events,
    rendererDir: RENDERER_DIR,
    port,
    logInternal: (verb, thrown) =>
      context.io.stderr.write(
        `deckhand host: ${verb} failed: ${String((thrown as Error)?.stack ?? thrown)}\n`,
      ),
  });
  if (context.json)
    printJson(context.io, { ok: true, url: host.url, port: host.port, dataDir: backend.dataDir });
  else {
    context.io.stdout.write(`Deckhand is running at:\n\n  ${host.url}\n\n`);
    context.io.stderr.write(`Data folder: ${backend.dataDir}\nThe link works once; press Ctrl+C to stop.\n`);
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await host.close();
  backend.close();
  return EXIT.ok;
}
