import { describe, expect, it, vi } from 'vitest';
import { claimSingleInstance } from '../../../../main/electron/single-instance';
import { createFakeApp, FakeBrowserWindow } from './fake-electron';

describe('claimSingleInstance', () => {
  it('quits when another instance holds the lock, and listens for nothing', () => {
    const app = createFakeApp();
    app.requestSingleInstanceLock.mockReturnValueOnce(false);
    expect(claimSingleInstance(app as never, () => undefined)).toBe(false);
    expect(app.quit).toHaveBeenCalledTimes(1);
    expect(app.listenerCount('second-instance')).toBe(0);
  });

  it('keeps running with the lock and brings the window forward on a second launch', () => {
    const app = createFakeApp();
    const window = new FakeBrowserWindow({});
    window.minimized = true;
    expect(claimSingleInstance(app as never, () => window)).toBe(true);
    expect(app.quit).not.toHaveBeenCalled();
    app.emit('second-instance', {}, ['deckhand'], '/home/tech');
    expect(window.restore).toHaveBeenCalledTimes(1);
    expect(window.focus).toHaveBeenCalledTimes(1);
  });

  it('ignores a second launch before the window exists', () => {
    const app = createFakeApp();
    const currentWindow = vi.fn(() => undefined);
    claimSingleInstance(app as never, currentWindow);
    expect(() => app.emit('second-instance')).not.toThrow();
    expect(currentWindow).toHaveBeenCalled();
  });
});
