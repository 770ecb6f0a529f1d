import { describe, expect, it, vi } from 'vitest';
import { openBundleDialog, orgTrustRootPath } from '../../../../main/electron/bundle-file-dialog';

describe('bundle file dialog', () => {
  it('asks for a .dhb file over the window and returns its path, or null when cancelled', async () => {
    const window = {} as never;
    const dialog = {
      showOpenDialog: vi
        .fn()
        .mockResolvedValueOnce({ canceled: false, filePaths: ['/media/tech/STICK/site-42.dhb'] })
        .mockResolvedValueOnce({ canceled: true, filePaths: [] }),
    };
    expect(await openBundleDialog(dialog, () => window)).toBe('/media/tech/STICK/site-42.dhb');
    expect(dialog.showOpenDialog).toHaveBeenCalledWith(
      window,
      expect.objectContaining({ filters: [{ name: 'Deckhand bundles', extensions: ['dhb'] }] }),
    );
    expect(await openBundleDialog(dialog, () => undefined)).toBeNull();
  });

  it('finds an org build root in the packaged resources, else in the source checkout', () => {
    expect(orgTrustRootPath(true, '/opt/Deckhand/resources', '/x')).toBe(
      '/opt/Deckhand/resources/trust/root.json',
    );
    expect(orgTrustRootPath(false, undefined, '/src/deckhand')).toBe(
      '/src/deckhand/resources/trust/root.json',
    );
  });
});
