/**
 * electron-builder afterPack hook: flips Electron's fuses in the packaged binary, before signing
 * (electron-builder signs after afterPack, and flipping fuses changes the binary).
 * https://www.electronjs.org/docs/latest/tutorial/fuses
 */
const path = require('node:path');

/** The fuse settings, keyed by @electron/fuses' FuseV1Options names; a unit test asserts each value. */
const FUSES = Object.freeze({
  // The binary must not double as a Node interpreter (ELECTRON_RUN_AS_NODE).
  RunAsNode: false,
  // No NODE_OPTIONS / --inspect: nobody at the laptop may inject code into the main process.
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  // Load the app only from the (integrity-checked) app.asar, never a loose app/ folder beside it.
  OnlyLoadAppFromAsar: true,
  EnableEmbeddedAsarIntegrityValidation: true,
  // Cookies and other Chromium storage encrypted with the OS keystore.
  EnableCookieEncryption: true,
});

/** The packaged Electron executable electron-builder produced for this platform. */
function electronBinaryPath(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  switch (electronPlatformName) {
    case 'darwin':
    case 'mas':
      return path.join(appOutDir, `${packager.appInfo.productFilename}.app`);
    case 'win32':
      return path.join(appOutDir, `${packager.appInfo.productFilename}.exe`);
    case 'linux':
      return path.join(appOutDir, packager.executableName);
    default:
      throw new Error(`after-pack: unsupported platform ${electronPlatformName}`);
  }
}

/** Translates FUSES into the @electron/fuses config (whose keys are the FuseV1Options indices). */
function fuseConfig(fuses, electronPlatformName) {
  const config = {
    version: fuses.FuseVersion.V1,
    // Flipping fuses invalidates an ad-hoc signature; arm64 macOS refuses to run unsigned code.
    resetAdHocDarwinSignature: electronPlatformName === 'darwin' || electronPlatformName === 'mas',
  };
  for (const [name, value] of Object.entries(FUSES)) {
    const index = fuses.FuseV1Options[name];
    if (index === undefined) throw new Error(`after-pack: @electron/fuses has no fuse named ${name}`);
    config[index] = value;
  }
  return config;
}

/** The hook; `loadFuses` is replaceable so tests can run it without a real Electron binary. */
async function afterPack(context, loadFuses = () => import('@electron/fuses')) {
  const fuses = await loadFuses();
  const binary = electronBinaryPath(context);
  await fuses.flipFuses(binary, fuseConfig(fuses, context.electronPlatformName));
}

module.exports = { FUSES, afterPack, default: afterPack, electronBinaryPath, fuseConfig };
