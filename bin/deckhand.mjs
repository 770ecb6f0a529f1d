#!/usr/bin/env node
// The `deckhand` command. Runs the TypeScript sources through tsx so the CLI, the app and the
// tests always run the same code without a separate build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../main/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
