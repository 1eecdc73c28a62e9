// `pnpm bench`: every measurement in one run, as ratios. Prints a Markdown report and writes it
// to RESULTS.md, with the raw numbers in results.json. Exits non-zero when a contender throws
// or an HTTP run sees a non-2xx answer or an error (a benchmark of errors is worthless).
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { QUICK } from './lib/harness.mjs';
import { renderMarkdown } from './lib/report.mjs';
import * as http from './sections/http.mjs';
import * as memory from './sections/memory.mjs';
import * as rs256 from './sections/rs256.mjs';
import * as signing from './sections/signing.mjs';
import * as verification from './sections/verification.mjs';

const SETTINGS = QUICK
  ? {
      throughput: { rounds: 5, batchMs: 50, warmupMs: 100 },
      http: { rounds: 2, warmupSeconds: 1, roundSeconds: 2 },
      memory: { memoryTokens: 50_000 },
    }
  : {
      throughput: { rounds: 15, batchMs: 100, warmupMs: 300 },
      http: { rounds: 5, warmupSeconds: 3, roundSeconds: 4 },
      memory: { memoryTokens: 200_000 },
    };

/** In report order; a section with `pending` set is listed but not run. */
const ALL_SECTIONS = {
  signing: [signing, SETTINGS.throughput],
  verification: [verification, SETTINGS.throughput],
  rs256: [rs256, SETTINGS.throughput],
  http: [http, SETTINGS.http],
  memory: [memory, SETTINGS.memory],
};
/**
 * `BENCH_SECTIONS=http,signing` runs only those sections (for iterating on one area); such a
 * partial run prints its report but writes no results, which stand for one whole run.
 */
const selected = process.env.BENCH_SECTIONS?.split(',')
  .map((name) => name.trim())
  .filter(Boolean);
const unknown = selected?.filter((name) => !Object.hasOwn(ALL_SECTIONS, name)) ?? [];
if (unknown.length > 0) {
  throw new Error(
    `BENCH_SECTIONS: unknown ${unknown.join(', ')}; choose among ${Object.keys(ALL_SECTIONS).join(', ')}`,
  );
}
const PARTIAL = selected !== undefined && selected.length > 0;
const SECTIONS = PARTIAL ? selected.map((name) => ALL_SECTIONS[name]) : Object.values(ALL_SECTIONS);

const started = performance.now();
const sections = [];
for (const [section, settings] of SECTIONS) {
  if (section.pending) {
    sections.push({ title: section.title, pending: section.pending });
    continue;
  }
  process.stderr.write(`bench: ${section.title}…\n`);
  sections.push(await section.run(settings));
}

const run = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
  cores: os.availableParallelism(),
  platform: `${os.platform()} ${os.arch()}`,
  quick: QUICK,
  seconds: (performance.now() - started) / 1000,
  settings: SETTINGS,
  sections,
};

process.stdout.write(`${renderMarkdown(run)}\n`);

const failures = sections.flatMap((section) => section.failures ?? []);
if (failures.length > 0) {
  process.stderr.write(`bench: HTTP runs saw errors, results not written:\n  ${failures.join('\n  ')}\n`);
  process.exitCode = 1;
} else if (PARTIAL) {
  process.stderr.write(
    'bench: a partial run (BENCH_SECTIONS); bench/RESULTS.md and bench/results.json left as they were\n',
  );
} else {
  writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(new URL('./RESULTS.md', import.meta.url), `${renderMarkdown(run)}\n`);
  process.stderr.write('bench: wrote bench/RESULTS.md and bench/results.json\n');
}
