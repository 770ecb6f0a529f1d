// @vitest-environment jsdom
import './setup';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROW_HEIGHT } from '../../../renderer/src/features/logs/logs-table';
import { PAGE_SIZE } from '../../../renderer/src/state/logs-store';
import { renderApp } from './render-app';

// jsdom does no layout; give the table's scroll body a viewport of ten rows so the virtualizer has
// something to fill, and every other element no height.
const VIEWPORT = 10 * ROW_HEIGHT;
const original = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientHeight');
beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return this.classList.contains('dh-logs-body') ? VIEWPORT : 0;
    },
  });
});
afterAll(() => {
  if (original !== undefined) Object.defineProperty(HTMLElement.prototype, 'clientHeight', original);
});

const rowsInDom = () => screen.queryAllByTestId('logs-row');
const seqsInDom = () => rowsInDom().map((row) => Number(row.getAttribute('data-seq')));

describe('Logs screen', () => {
  it('renders 100,000 events with only a window of rows in the DOM and only the first page fetched', async () => {
    const { fake } = renderApp({ rows: 100_000, hash: '#/logs' });
    expect(screen.getByRole('heading', { level: 1, name: 'Logs' })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('logs-count')).toHaveTextContent('100,000 events'));
    await waitFor(() => expect(seqsInDom()[0]).toBe(100_000));

    const table = screen.getByRole('table', { name: 'Deploy log' });
    expect(table).toBe(screen.getByTestId('logs-table'));
    expect(table).toHaveAttribute('aria-rowcount', '100001');
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((h) => h.textContent),
    ).toEqual(['Seq', 'Time', 'Kind', 'Device', 'Details', 'Hash']);
    expect(rowsInDom().length).toBeGreaterThanOrEqual(10);
    expect(rowsInDom().length).toBeLessThan(40);
    expect(fake.queries()).toEqual([{ offset: 0, limit: PAGE_SIZE }]);

    const first = rowsInDom()[0]!;
    expect(first).toHaveTextContent('deploy.started'); // 100000 % 4 === 0 → kinds[0]
    expect(first).toHaveTextContent('step=');
    expect(first).toHaveTextContent(/^100000/);
  });

  it('fetches just the pages for where the view scrolls to', async () => {
    const { fake } = renderApp({ rows: 100_000, hash: '#/logs' });
    await waitFor(() => expect(seqsInDom()[0]).toBe(100_000));
    const body = screen.getByRole('rowgroup', { name: 'Log events, newest first' });

    act(() => {
      body.scrollTop = 60_000 * ROW_HEIGHT;
      fireEvent.scroll(body);
    });
    await waitFor(() => expect(seqsInDom()).toContain(40_000));
    expect(rowsInDom().length).toBeLessThan(40);
    // Rows 59,992..60,017 (with overscan) span pages 599 and 600; nothing in between was fetched.
    expect(fake.queries().map((q) => q.offset)).toEqual([0, 59_900, 60_000]);
  });

  it('filters reset the table to the top and refetch with the filter', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({ rows: 1000, hash: '#/logs' });
    await waitFor(() => expect(screen.getByTestId('logs-count')).toHaveTextContent('1,000 events'));
    const body = screen.getByRole('rowgroup', { name: 'Log events, newest first' });
    act(() => {
      body.scrollTop = 500 * ROW_HEIGHT;
      fireEvent.scroll(body);
    });
    await waitFor(() => expect(seqsInDom()).toContain(500));

    const kind = screen.getByLabelText('Kind');
    await waitFor(() =>
      expect(within(kind).getByRole('option', { name: 'deploy.failed' })).toBeInTheDocument(),
    );
    await user.selectOptions(kind, 'deploy.failed');

    await waitFor(() =>
      expect(screen.getByTestId('logs-count')).toHaveTextContent('250 events match the filters'),
    );
    expect(body.scrollTop).toBe(0);
    await waitFor(() => expect(seqsInDom()[0]).toBe(999));
    expect(rowsInDom().every((row) => row.textContent?.includes('deploy.failed'))).toBe(true);
    expect(fake.queries().at(-1)).toEqual({ offset: 0, limit: PAGE_SIZE, kind: 'deploy.failed' });

    const device = screen.getByLabelText('Device');
    await user.selectOptions(device, 'tcp://rig-b:7700');
    await waitFor(() =>
      expect(fake.queries().at(-1)).toEqual({
        offset: 0,
        limit: PAGE_SIZE,
        kind: 'deploy.failed',
        device: 'tcp://rig-b:7700',
      }),
    );

    await user.selectOptions(kind, 'All');
    await waitFor(() =>
      expect(fake.queries().at(-1)).toEqual({ offset: 0, limit: PAGE_SIZE, device: 'tcp://rig-b:7700' }),
    );
  });

  it('shows an intact chain with its size and head, and re-checks on request', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({
      rows: 42,
      hash: '#/logs',
      chain: { valid: true, size: 42, head: 'abcdef0123456789'.repeat(4) },
    });
    const status = screen.getByTestId('chain-status');
    await waitFor(() => expect(status).toHaveTextContent('Chain intact — 42 events, head abcdef012345…'));

    fake.setChain({
      valid: false,
      size: 42,
      firstBadSeq: 17,
      reason: 'prev_hash_mismatch',
      lastGoodHash: '0'.repeat(64),
    });
    await user.click(within(status).getByRole('button', { name: /re-check/i }));
    await waitFor(() => expect(status).toHaveTextContent('Chain broken at seq 17'));
    expect(fake.calls.filter((call) => call.verb === 'logs.verify')).toHaveLength(2);
  });

  it('shows a broken chain prominently, with the first bad seq and the reason', async () => {
    renderApp({
      rows: 30,
      hash: '#/logs',
      chain: {
        valid: false,
        size: 30,
        firstBadSeq: 23,
        reason: 'hash_mismatch',
        lastGoodHash: 'b'.repeat(64),
      },
    });
    const alert = await screen.findByRole('alert');
    expect(alert).toBe(screen.getByTestId('chain-status'));
    expect(alert).toHaveTextContent('Chain broken at seq 23 (an event was changed after it was written)');
    expect(alert).toHaveTextContent('Events before seq 23 verify');
    expect(alert).toHaveClass('dh-chain-broken');
    expect(alert.getAttribute('data-accent-color')).toBe('red');
  });

  it('shows an empty state when there are no events', async () => {
    const { fake } = renderApp({
      rows: 0,
      hash: '#/logs',
      chain: { valid: true, size: 0, head: '0'.repeat(64) },
    });
    const empty = await screen.findByTestId('logs-empty');
    expect(empty).toHaveTextContent('No events yet');
    expect(screen.getByTestId('logs-count')).toHaveTextContent('0 events');
    expect(screen.queryByTestId('logs-table')).not.toBeInTheDocument();

    // The first event arrives: the table replaces the empty state.
    act(() => fake.append('app.started', null));
    await waitFor(() => expect(seqsInDom()).toEqual([1]));
    expect(screen.queryByTestId('logs-empty')).not.toBeInTheDocument();
  });

  it('refreshes the total and first page when events are appended', async () => {
    const { fake } = renderApp({ rows: 100, hash: '#/logs' });
    await waitFor(() => expect(seqsInDom()[0]).toBe(100));
    act(() => {
      fake.append('deploy.committed', 'tcp://rig-a:7700');
      fake.append('deploy.committed', 'tcp://rig-a:7700');
    });
    await waitFor(() => expect(screen.getByTestId('logs-count')).toHaveTextContent('102 events'));
    await waitFor(() => expect(seqsInDom()[0]).toBe(102));
    expect(screen.getByTestId('chain-status')).toHaveTextContent('2 events added since this check.');
  });
});
