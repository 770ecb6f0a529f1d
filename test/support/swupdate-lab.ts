/**
 * Real SWUpdate for tests: a CMS signing certificate made with openssl, .swu images built the way
 * SWUpdate's docs describe (sw-description first, its CMS signature second, then the images, in a
 * `cpio -H crc` archive) and a SWUpdate daemon with its web server on 127.0.0.1. Each lab keeps its
 * IPC sockets in its own TMPDIR so labs and a system SWUpdate never meet.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The hardware SWUpdate is told it runs on (`-H`), which test images declare compatible. */
export const LAB_HW_BOARD = 'deckhand-lab';
export const LAB_HW_REVISION = '1.0';
export const LAB_HW = `${LAB_HW_BOARD}:${LAB_HW_REVISION}`;

/** One image inside a .swu: a file SWUpdate's `rawfile` handler writes to `path`. */
export interface SwuFile {
  readonly filename: string;
  readonly content: Buffer;
  /** Absolute path on the "device" where SWUpdate writes it. */
  readonly path: string;
}

/** Signing material and a work folder. */
export interface SwupdateLab {
  readonly dir: string;
  /** The self-signed CMS certificate SWUpdate verifies with (`-k`). */
  readonly certPath: string;
  /** TMPDIR for SWUpdate's sockets. */
  readonly tmpDir: string;
  /** Builds a signed .swu; `tamper` flips a byte of the first image after signing. */
  buildSwu(
    name: string,
    version: string,
    files: readonly SwuFile[],
    options?: { readonly tamper?: boolean; readonly hardware?: string },
  ): string;
}

/** Creates the certificate and folders in `dir`. */
export function createSwupdateLab(dir: string): SwupdateLab {
  const certPath = join(dir, 'swu-cert.pem');
  const keyPath = join(dir, 'swu-key.pem');
  const tmpDir = join(dir, 'swupdate-tmp');
  mkdirSync(tmpDir, { recursive: true });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      '/CN=deckhand-swu-test',
    ],
    { stdio: 'ignore' },
  );
  return {
    dir,
    certPath,
    tmpDir,
    buildSwu(name, version, files, options = {}) {
      const work = join(dir, `swu-${name}-${version}-${Math.random().toString(36).slice(2, 8)}`);
      mkdirSync(work, { recursive: true });
      const entries = files
        .map(
          (file) => `    {
      filename = "${file.filename}";
      path = "${file.path}";
      sha256 = "${createHash('sha256').update(file.content).digest('hex')}";
    }`,
        )
        .join(',\n');
      writeFileSync(
        join(work, 'sw-description'),
        `software =
{
  version = "${version}";
  description = "${name}";
  hardware-compatibility: [ "${options.hardware ?? LAB_HW_REVISION}" ];
  files: (
${entries}
  );
}
`,
      );
      execFileSync(
        'openssl',
        [
          'cms',
          '-sign',
          '-in',
          'sw-description',
          '-out',
          'sw-description.sig',
          '-signer',
          certPath,
          '-inkey',
          keyPath,
          '-outform',
          'DER',
          '-nosmimecap',
          '-binary',
        ],
        { cwd: work, stdio: 'ignore' },
      );
      files.forEach((file, index) => {
        const content = Buffer.from(file.content);
        if (options.tamper === true && index === 0) content[0] = (content[0] ?? 0) ^ 0xff;
        writeFileSync(join(work, file.filename), content);
      });
      const swuPath = join(dir, `${name}-${version}${options.tamper === true ? '-tampered' : ''}.swu`);
      const list =
        ['sw-description', 'sw-description.sig', ...files.map((file) => file.filename)].join('\n') + '\n';
      execFileSync('sh', ['-c', `cpio -o -H crc > ${JSON.stringify(swuPath)}`], {
        cwd: work,
        input: list,
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      return swuPath;
    },
  };
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A running SWUpdate daemon with its web server. */
export interface SwupdateDaemon {
  readonly port: number;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Starts `swupdate -w` on 127.0.0.1 and waits until its web server answers. */
export async function startSwupdateWeb(
  lab: SwupdateLab,
  options: { readonly postUpdateCommand?: string } = {},
): Promise<SwupdateDaemon> {
  const port = await freePort();
  const documentRoot = join(lab.dir, 'www');
  mkdirSync(documentRoot, { recursive: true });
  writeFileSync(join(documentRoot, 'index.html'), '<!doctype html><title>swupdate</title>\n');
  const child: ChildProcess = spawn(
    'swupdate',
    [
      '-v',
      '-H',
      LAB_HW,
      '-k',
      lab.certPath,
      ...(options.postUpdateCommand === undefined ? [] : ['-p', options.postUpdateCommand]),
      '-w',
      `-r ${documentRoot} -p 127.0.0.1:${port}`,
    ],
    { env: { ...process.env, TMPDIR: lab.tmpDir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`swupdate exited at start:\n${output}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`);
      await response.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`swupdate's web server did not answer on port ${port}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    port,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
