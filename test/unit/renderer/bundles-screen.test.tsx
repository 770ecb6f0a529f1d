// @vitest-environment jsdom
import './setup';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { BundleImportRow } from '../../../main/ipc/contract';
import type { Result } from '../../../core/result';
import type { VerbOutput } from '../../../main/ipc/contract';
import { describeExpiry, formatEta } from '../../../renderer/src/features/bundles/bundle-format';
import { renderApp } from './render-app';

const DAY = 86_400_000;

function importedRow(id: number, expiresInDays: number): BundleImportRow {
  return {
    id,
    status: 'imported',
    fileName: `site-${id}.dhb`,
    filePath: `/media/tech/STICK/site-${id}.dhb`,
    attemptedAt: new Date().toISOString(),
    bundleId: 'b'.repeat(64),
    rootVersion: 2,
    timestampVersion: 1795816294,
    expires: new Date(Date.now() + expiresInDays * DAY).toISOString(),
    roles: [
      { role: 'targets', version: 5, expires: '2030-01-01T00:00:00Z', signers: ['bbd052a4e21765bd3f1feb70'] },
    ],
    targets: [
      {
        path: 'releases/edge-app/2.4.1/app.img',
        kind: 'release',
        name: 'edge-app',
        version: '2.4.1',
        hardware: ['jetson-orin', 'rpi5'],
        length: 64 * 1024 * 1024,
        sha256: 'a'.repeat(64),
        role: 'releases',
        custom: {},
      },
      {
        path: 'models/detector/1.0/m.onnx',
        kind: 'model',
        name: 'detector',
        version: '1.0',
        hardware: ['jetson-orin'],
        length: 4096,
        sha256: 'c'.repeat(64),
        role: 'models',
        custom: {},
      },
    ],
    error: null,
  };
}

const refusedRow: BundleImportRow = {
  ...importedRow(9, 0),
  status: 'refused',
  fileName: 'old.dhb',
  expires: null,
  roles: [],
  targets: [],
  error: { code: 'expired', message: 'This bundle expired on 2 Nov 2026 — ask HQ for a fresh one.' },
};

async function openBundles() {
  const app = renderApp();
  app.fake.bundles.trust = {
    source: 'pinned',
    rootVersion: 2,
    rootKeyIds: ['e93b873bf8a8b7fd'],
    rootExpires: '2030-01-01T00:00:00Z',
    highestTime: new Date().toISOString(),
  };
  app.fake.bundles.imports = [importedRow(2, 3), refusedRow, importedRow(1, 40)];
  app.fake.bundles.offers = [
    {
      path: '/media/tech/STICK/site-42.dhb',
      fileName: 'site-42.dhb',
      volume: '/media/tech/STICK',
      size: 2048,
    },
  ];
  act(() => {
    window.location.hash = '#/bundles';
  });
  await screen.findByRole('heading', { level: 1, name: 'Bundles' });
  await waitFor(() => expect(screen.getAllByTestId('bundle-card')).toHaveLength(3));
  return app;
}

describe('Bundles screen', () => {
  it('lists imports with contents, signers and an expiry countdown, and refusals with their reason', async () => {
    await openBundles();
    expect(screen.getByTestId('trust-status')).toHaveTextContent('version 2');
    const [soon, refused, later] = screen.getAllByTestId('bundle-card');
    expect(within(soon!).getByTestId('bundle-expiry')).toHaveAttribute('data-tone', 'warning');
    expect(within(soon!).getByTestId('bundle-expiry')).toHaveTextContent('expires in 2 days');
    expect(within(later!).getByTestId('bundle-expiry')).toHaveAttribute('data-tone', 'ok');
    const rows = within(soon!).getAllByTestId('bundle-target');
    expect(rows[0]).toHaveTextContent('releaseedge-app2.4.1jetson-orin, rpi564.0 MiB');
    expect(within(soon!).getByTestId('bundle-signers')).toHaveTextContent('targets bbd052a4e217…');
    expect(within(refused!).getByTestId('bundle-refusal')).toHaveTextContent(
      'This bundle expired on 2 Nov 2026 — ask HQ for a fresh one.',
    );
    expect(screen.getByTestId('bundle-offer')).toHaveTextContent('Found site-42.dhb');
    expect(screen.queryByRole('button', { name: /Choose file/ })).toBeNull();
  });

  it('imports a typed path with progress and cancel, then shows a refusal in plain words', async () => {
    const app = await openBundles();
    let answer: (result: Result<VerbOutput<'bundles.import'>>) => void = () => {};
    app.fake.bundles.respond = () => new Promise((resolve) => (answer = resolve));
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Bundle file (.dhb) or folder'), '/tmp/x.dhb');
    await user.click(screen.getByRole('button', { name: 'Import' }));
    const jobId = (app.fake.calls.find((c) => c.verb === 'bundles.import')?.input as { jobId: string }).jobId;
    act(() =>
      app.fake.emit('progress', {
        jobId,
        step: 'copying',
        percent: 50,
        bytes: 32 * 1024 * 1024,
        bytesPerSec: 16 * 1024 * 1024,
        etaSec: 2,
      }),
    );
    expect(screen.getByTestId('import-progress')).toHaveTextContent('Copying and checking files');
    expect(screen.getByTestId('import-progress')).toHaveTextContent('32.0 MiB · 50% · 16.0 MiB/s · 2 s left');
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(app.fake.calls.some((c) => c.verb === 'bundles.cancelImport')).toBe(true);
    await act(async () =>
      answer({
        ok: false,
        error: {
          code: 'rollback',
          message: 'This bundle is older than one already imported on this laptop.',
        },
      }),
    );
    expect(await screen.findByTestId('import-outcome')).toHaveTextContent('older than one already imported');
    expect(screen.queryByTestId('import-progress')).toBeNull();
  });

  it('warns when no root is pinned', async () => {
    const app = renderApp();
    app.fake.bundles.trust = null;
    act(() => {
      window.location.hash = '#/bundles';
    });
    expect(await screen.findByTestId('trust-status')).toHaveTextContent('No trust root is pinned');
    expect(await screen.findByTestId('bundles-empty')).toBeInTheDocument();
  });
});

describe('bundle formats', () => {
  it('counts down to expiry with warnings under 7 days', () => {
    const now = new Date('2026-11-01T00:00:00Z');
    expect(describeExpiry('2026-12-01T00:00:00Z', now)).toEqual({
      tone: 'ok',
      countdown: 'expires in 30 days',
      date: '1 Dec 2026',
    });
    expect(describeExpiry('2026-11-01T05:00:00Z', now).countdown).toBe('expires in 5 h');
    expect(describeExpiry('2026-10-30T00:00:00Z', now)).toMatchObject({
      tone: 'expired',
      countdown: 'expired 2 days ago',
    });
    expect(formatEta(125)).toBe('2 min 5 s');
    expect(formatEta(null)).toBe('—');
  });
});
