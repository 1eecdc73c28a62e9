// Checks each published package the way a user receives it: publint on the package folder,
// and Are the Types Wrong on the packed tarball (ESM-only, as the packages are: Node 20.19+
// can require() them from CommonJS, which test/contract checks at run time).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const packages = ['core', 'express', 'koa', 'fastify', 'fetch', 'client', 'cli'];
let failures = 0;

for (const name of packages) {
  const dir = join('packages', name);
  const { messages, pkg } = await publint({ pkgDir: dir, level: 'suggestion', strict: true, pack: 'npm' });
  for (const message of messages) {
    process.stdout.write(`publint ${dir}: ${formatMessage(message, pkg)}\n`);
  }
  failures += messages.length;

  const packDir = mkdtempSync(join(tmpdir(), 'roomkey-pack-'));
  try {
    execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const [tarball] = readdirSync(packDir);
    execFileSync(
      'npx',
      ['--no-install', 'attw', join(packDir, tarball), '--profile', 'esm-only', '--format', 'ascii'],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  } catch (error) {
    process.stdout.write(`attw ${dir}: failed (${error.message.split('\n')[0]})\n`);
    failures++;
  } finally {
    rmSync(packDir, { recursive: true, force: true });
  }
  process.stdout.write(`checked ${dir}\n`);
}

// @roomkey/client's browser build: one minified ES module, at most 3 KB once gzipped.
const browserBuild = readFileSync(join('packages', 'client', 'dist', 'roomkey-client.min.js'));
const gzipped = gzipSync(browserBuild, { level: 9 }).length;
process.stdout.write(
  `@roomkey/client browser build: ${browserBuild.length} bytes minified, ${gzipped} bytes gzipped\n`,
);
if (gzipped > 3072) {
  process.stdout.write('@roomkey/client browser build is over its budget of 3072 bytes min+gzip\n');
  failures++;
}

if (failures > 0) {
  process.stdout.write(`${failures} package problem(s)\n`);
  process.exit(1);
}
