/** The app's screens, in navigation order, and how a URL hash maps to one. */
import type { ComponentType } from 'react';
import {
  ActivityLogIcon,
  ArchiveIcon,
  DashboardIcon,
  GearIcon,
  LightningBoltIcon,
  MixerHorizontalIcon,
  RocketIcon,
  UpdateIcon,
} from '@radix-ui/react-icons';

/** Every screen's id; the hash route is `#/<id>`. */
export type ScreenId =
  'overview' | 'bundles' | 'devices' | 'deploy' | 'diagnostics' | 'logs' | 'sync' | 'settings';

/** A screen's entry in the navigation. */
export interface ScreenEntry {
  readonly id: ScreenId;
  readonly title: string;
  readonly icon: ComponentType<{ readonly 'aria-hidden'?: boolean }>;
}

/** The navigation, top to bottom. */
export const SCREENS: readonly ScreenEntry[] = [
  { id: 'overview', title: 'Overview', icon: DashboardIcon },
  { id: 'bundles', title: 'Bundles', icon: ArchiveIcon },
  { id: 'devices', title: 'Devices', icon: MixerHorizontalIcon },
  { id: 'deploy', title: 'Deploy', icon: RocketIcon },
  { id: 'diagnostics', title: 'Diagnostics', icon: LightningBoltIcon },
  { id: 'logs', title: 'Logs', icon: ActivityLogIcon },
  { id: 'sync', title: 'Sync', icon: UpdateIcon },
  { id: 'settings', title: 'Settings', icon: GearIcon },
];

/** The screen a URL opens when its hash names none. */
export const DEFAULT_SCREEN: ScreenId = 'overview';

/** The screen a hash such as `#/logs` names, or null when it names none. */
export function screenFromHash(hash: string): ScreenId | null {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return SCREENS.find((screen) => screen.id === id)?.id ?? null;
}

/** The hash that opens a screen. */
export function hashFor(id: ScreenId): string {
  return `#/${id}`;
}
