// @vitest-environment jsdom
import './setup';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { renderApp } from './render-app';

describe('Sync screen', () => {
  it('enrols, then shows pending events, HQ identity, a sync with progress, and the receipt', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({ rows: 42, hash: '#/sync' });
    expect(screen.getByRole('heading', { level: 1, name: 'Sync' })).toBeInTheDocument();
    await user.clear(await screen.findByRole('textbox', { name: 'HQ address' }));
    await user.type(screen.getByRole('textbox', { name: 'HQ address' }), 'https://hq.example:8443');
    await user.type(screen.getByRole('textbox', { name: 'Your name' }), 'Ada');
    await user.click(screen.getByRole('button', { name: 'Enrol' }));
    await waitFor(() => expect(screen.getByTestId('sync-pending')).toHaveTextContent('42 events'));
    expect(fake.calls.find((call) => call.verb === 'sync.enrol')?.input).toEqual({
      hqUrl: 'https://hq.example:8443',
      technicianName: 'Ada',
    });
    expect(screen.getByText('Test HQ')).toBeInTheDocument();
    expect(screen.getByTestId('sync-reachability')).toHaveTextContent('Reachable');
    expect(screen.getByTestId('sync-receipt')).toHaveTextContent('None yet');

    fake.emit('progress', {
      jobId: 'sync',
      step: 'uploading',
      percent: 50,
      bytes: 10,
      bytesPerSec: 5,
      etaSec: 2,
    });
    await user.click(screen.getByRole('button', { name: 'Sync now' }));
    await waitFor(() => expect(screen.getByTestId('sync-pending')).toHaveTextContent('0 events'));
    expect(screen.getByTestId('sync-done')).toHaveTextContent('Sent 42 events to HQ.');
    expect(screen.getByTestId('sync-receipt')).toHaveTextContent('events 1–42');
  });

  it("shows why an enrolment failed, in the technician's words", async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({ rows: 1, hash: '#/sync' });
    (fake.api as unknown as Record<string, unknown>)['sync.enrol'] = async () => ({
      ok: false,
      error: { code: 'hq_untrusted', message: 'The server is not the HQ you were given.' },
    });
    await user.type(await screen.findByRole('textbox', { name: 'Your name' }), 'Ada');
    await user.click(screen.getByRole('button', { name: 'Enrol' }));
    expect(await screen.findByTestId('sync-error')).toHaveTextContent(
      'The server is not the HQ you were given. [hq_untrusted]',
    );
    expect(screen.getByRole('button', { name: 'Enrol' })).toBeEnabled();
  });
});
