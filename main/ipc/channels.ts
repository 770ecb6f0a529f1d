/**
 * The names of the IPC contract and the channels they travel on, without the schemas: the sandboxed
 * preload bundles this file only, so it stays a few kilobytes. contract.ts holds the schemas and
 * types keyed by these names and fails to compile when the two disagree.
 */

/** Every verb, in a stable order. The preload and the browser bridge expose exactly these. */
export const VERB_NAMES = [
  'app.info',
  'logs.query',
  'logs.facets',
  'logs.verify',
  'bundles.list',
  'bundles.import',
  'bundles.cancelImport',
  'bundles.offers',
  'bundles.pickFile',
  'sync.status',
  'sync.enrol',
  'sync.now',
  'sync.cancel',
  'devices.list',
  'devices.add',
  'devices.remove',
  'devices.refresh',
  'devices.confirmFingerprint',
  'deploy.targets',
  'deploy.plan',
  'deploy.start',
  'deploy.cancel',
  'deploy.runs',
  'deploy.retry',
  'deploy.rollback',
  'overview.summary',
  'diagnostics.device',
  'diagnostics.start',
  'diagnostics.cancel',
  'diagnostics.runs',
  'diagnostics.run',
  'diagnostics.export',
  'console.open',
  'console.write',
  'console.close',
] as const;

/** A verb's name. */
export type VerbName = (typeof VERB_NAMES)[number];

/** Every event, in a stable order. */
export const EVENT_NAMES = [
  'progress',
  'device.attached',
  'device.detached',
  'log.appended',
  'bundle.offers',
  'devices.changed',
  'deploy.changed',
  'diagnostics.window',
  'diagnostics.level',
  'diagnostics.finished',
  'console.output',
  'console.closed',
] as const;

/** An event's name. */
export type EventName = (typeof EVENT_NAMES)[number];

/** The IPC channel a verb travels on in Electron. */
export function verbChannel(verb: VerbName): string {
  return `deckhand:verb:${verb}`;
}

/** The IPC channel events travel on in Electron. */
export const EVENT_CHANNEL = 'deckhand:event';
