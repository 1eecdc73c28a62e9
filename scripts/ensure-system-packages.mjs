// Installs the Debian packages the test suite uses beyond Node and npm, when they are missing
// and this machine can install them (Debian, root). Prints what it does; fails with advice otherwise.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needed = [
  {
    why: "PyJWT, to check Red5 Pro tokens from a second language as seed 001's Python example does",
    deb: 'python3-jwt',
    present: () => spawnSync('/usr/bin/python3', ['-c', 'import jwt'], { stdio: 'ignore' }).status === 0,
  },
  {
    why: 'a JDK 17, to compile and run the Java client of `roomkey serve` (examples/java)',
    deb: 'openjdk-17-jdk-headless',
    present: () => spawnSync('javac', ['-version'], { stdio: 'ignore' }).status === 0,
  },
  {
    why: 'Go, to compile and run the Go client of `roomkey serve` (examples/go)',
    deb: 'golang-go',
    present: () => spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0,
  },
  {
    why: 'a real Redis, to test that several issuer instances share one rate-limit budget',
    deb: 'redis-server',
    present: () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0,
  },
  {
    why: "Chromium, for the browser tests of @roomkey/client, the demo page and Red5's WebRTC SDK (driven by playwright-core)",
    deb: 'chromium',
    present: () => spawnSync('/usr/bin/chromium', ['--version'], { stdio: 'ignore' }).status === 0,
  },
  {
    why: 'coturn, to prove TURN credentials against a real TURN server (turnserver, turnutils_uclient)',
    deb: 'coturn',
    present: () => spawnSync('turnserver', ['--version'], { stdio: 'ignore' }).status === 0,
    // The tests start their own turnserver on loopback. Debian's package enables a coturn service
    // with the default configuration: where systemd runs, it would start an open relay on port 3478.
    afterInstall: () => {
      if (existsSync('/run/systemd/system')) {
        spawnSync('systemctl', ['disable', '--now', 'coturn.service'], { stdio: 'inherit' });
      }
    },
  },
];

const missing = needed.filter((item) => !item.present());
if (missing.length > 0) {
  const names = missing.map((item) => item.deb);
  const canInstall = process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!canInstall) {
    process.stderr.write(`The tests need these Debian packages: ${names.join(' ')}\n`);
    for (const item of missing) process.stderr.write(`  ${item.deb}: ${item.why}\n`);
    process.stderr.write(`Install them (sudo apt-get install ${names.join(' ')}) and run the tests again.\n`);
    process.exit(1);
  }
  process.stdout.write(`Installing ${names.join(' ')} with apt-get…\n`);
  const quiet = { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  execFileSync('apt-get', ['update', '-qq'], quiet);
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], quiet);
  for (const item of missing) item.afterInstall?.();
  const still = missing.filter((item) => !item.present());
  if (still.length > 0) {
    process.stderr.write(`Installed, but still missing: ${still.map((item) => item.deb).join(' ')}\n`);
    process.exit(1);
  }
}
