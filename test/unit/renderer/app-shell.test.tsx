// @vitest-environment jsdom
import './setup';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { renderApp } from './render-app';

const SCREEN_NAMES = ['Overview', 'Bundles', 'Devices', 'Deploy', 'Diagnostics', 'Logs', 'Sync', 'Settings'];

const nav = () => screen.getByRole('navigation', { name: 'Screens' });

describe('app shell', () => {
  it('lists all eight screens as links named after them, and opens Overview by default', async () => {
    renderApp();
    const links = within(nav()).getAllByRole('link');
    expect(links.map((link) => link.textContent)).toEqual(SCREEN_NAMES);
    for (const name of SCREEN_NAMES) expect(within(nav()).getByRole('link', { name })).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1, name: 'Overview' })).toBeInTheDocument();
    expect(within(nav()).getByRole('link', { name: 'Overview' })).toHaveAttribute('aria-current', 'page');
    await waitFor(() => expect(window.location.hash).toBe('#/overview'));
  });

  it.each(SCREEN_NAMES)('opens %s directly from its hash', async (name) => {
    renderApp({ hash: `#/${name.toLowerCase()}` });
    // Let the screen's first bridge replies land inside act.
    await act(() => Promise.resolve());
    expect(screen.getByRole('heading', { level: 1, name })).toBeInTheDocument();
    expect(within(nav()).getByRole('link', { name })).toHaveAttribute('aria-current', 'page');
    expect(document.title).toBe(`${name} · Deckhand`);
  });

  it('falls back to Overview for an unknown hash', () => {
    renderApp({ hash: '#/nowhere' });
    expect(screen.getByRole('heading', { level: 1, name: 'Overview' })).toBeInTheDocument();
  });

  it('navigates when a nav link is clicked', async () => {
    const user = userEvent.setup();
    renderApp({ rows: 3 });
    await user.click(within(nav()).getByRole('link', { name: 'Logs' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Logs' })).toBeInTheDocument();
    expect(window.location.hash).toBe('#/logs');
    await user.click(within(nav()).getByRole('link', { name: 'Settings' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Settings' })).toBeInTheDocument();
  });

  it('reaches the nav by Tab, moves with arrow keys, and opens a screen with Enter', async () => {
    const user = userEvent.setup();
    renderApp();
    await user.tab();
    expect(within(nav()).getByRole('link', { name: 'Overview' })).toHaveFocus();
    await user.tab();
    expect(within(nav()).getByRole('link', { name: 'Bundles' })).toHaveFocus();

    await user.keyboard('{ArrowDown}{ArrowDown}');
    expect(within(nav()).getByRole('link', { name: 'Deploy' })).toHaveFocus();
    await user.keyboard('{ArrowUp}');
    expect(within(nav()).getByRole('link', { name: 'Devices' })).toHaveFocus();
    await user.keyboard('{End}');
    expect(within(nav()).getByRole('link', { name: 'Settings' })).toHaveFocus();
    await user.keyboard('{ArrowDown}');
    expect(within(nav()).getByRole('link', { name: 'Overview' })).toHaveFocus();
    await user.keyboard('{ArrowUp}{ArrowUp}{ArrowUp}');
    expect(within(nav()).getByRole('link', { name: 'Logs' })).toHaveFocus();

    await user.keyboard('{Enter}');
    expect(await screen.findByRole('heading', { level: 1, name: 'Logs' })).toBeInTheDocument();
  });

  it('shows a banner once the bridge connection is lost', () => {
    const { connection } = renderApp();
    expect(screen.queryByTestId('connection-banner')).not.toBeInTheDocument();
    act(() => connection.set('lost'));
    const banner = screen.getByRole('alert');
    expect(banner).toHaveTextContent('Lost the connection to Deckhand');
    expect(within(banner).getByRole('button', { name: /reload/i })).toBeInTheDocument();
  });

  it('shows the data folder, version and host on Settings', async () => {
    renderApp({ hash: '#/settings' });
    const main = screen.getByRole('main');
    await waitFor(() => expect(main).toHaveTextContent('/home/tech/.config/Deckhand'));
    expect(main).toHaveTextContent('Deckhand 0.1.0');
    expect(main).toHaveTextContent('Browser, served by this laptop');
  });
});
