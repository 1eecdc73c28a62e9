// Renders one run as Markdown: the same text is printed and written to RESULTS.md.
import { format } from './harness.mjs';

/** A Markdown table with padded columns, as Biome formats Markdown (so RESULTS.md passes the lint). */
function table(head, rows) {
  const cells = [head, ...rows].map((cells) => cells.map(String));
  const widths = head.map((_, column) => Math.max(3, ...cells.map((cells) => cells[column].length)));
  const row = (cells) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  return [row(cells[0]), row(widths.map((width) => '-'.repeat(width))), ...cells.slice(1).map(row)].join('\n');
}

/** Every ratio that has a target, and every memory check, in one list. */
function targetsOf(sections) {
  return sections.flatMap((section) => [
    ...(section.ratios ?? [])
      .filter((r) => r.atLeast !== undefined)
      .map((r) => ({
        name: r.name,
        measured: format.ratio(r.value),
        target: `≥ ${format.ratio(r.atLeast)}`,
        met: r.met,
      })),
    ...(section.checks ?? []),
  ]);
}

function ratiosTable(ratios) {
  return table(
    ['ratio', 'value', 'target'],
    ratios.map((r) => [r.name, format.ratio(r.value), r.atLeast === undefined ? '—' : `≥ ${format.ratio(r.atLeast)}`]),
  );
}

function throughputSection(section, rounds) {
  return [
    `Median of ${rounds} interleaved rounds, ${section.unit}.`,
    table(
      ['contender', section.unit, 'what it does'],
      section.results.map((r) => [r.name, format.rate(r.opsPerSecond), r.note ?? '']),
    ),
    ratiosTable(section.ratios),
  ];
}

function httpSection(section, settings) {
  return [
    `autocannon, ${section.connections} connections, ${settings.warmupSeconds} s warm-up per route (excluded), ` +
      `then ${settings.rounds} interleaved rounds of ${settings.roundSeconds} s; medians. Both routes get the same ` +
      'POST with a JSON body and a bearer token. /bare answers `{"ok":true}`; /raw is the hand-written route doing ' +
      "the same work as roomkey's (bearer lookup, room check, HS256 with iat and jti via createHmac, the same JSON " +
      "and headers, none of roomkey's other checks); /tokens is `issueTokens()`; on Fastify /plugin/tokens is the " +
      '`tokenRoutes` plugin, where roomkey reads the body itself. Ratios between routes of one server are medians ' +
      "of each round's quotient. Server CPU per request: the server process's user + system time over the requests " +
      'it answered.',
    table(
      ['server', 'route', 'req/s', 'p99 latency', 'server CPU per request', 'requests', 'non-2xx', 'errors'],
      section.results.map((r) => [
        r.framework,
        `/${r.route}`,
        format.rate(r.requestsPerSecond),
        format.ms(r.p99Ms),
        r.serverCpuUs === undefined ? '—' : format.us(r.serverCpuUs),
        format.rate(r.requests),
        r.non2xx,
        r.errors + r.timeouts,
      ]),
    ),
    ratiosTable(section.ratios),
  ];
}

function memorySection(section) {
  return [
    `A fresh process (\`--expose-gc\`) signs ${format.rate(section.tokens)} tokens with roomkey's Red5 Pro signer ` +
      'after 10,000 warm-up tokens, keeping none; memory after a full GC.',
    table(
      ['tokens signed', 'RSS', 'heap used', 'heap total', 'external'],
      section.snapshots.map((s) => [
        format.rate(s.tokens),
        format.mib(s.rss),
        format.mib(s.heapUsed),
        format.mib(s.heapTotal),
        format.mib(s.external),
      ]),
    ),
  ];
}

function rs256Section(section, rounds) {
  const [throughputText, ...rest] = throughputSection(section, rounds);
  return [
    `${throughputText} Contenders marked "in flight" keep that many tokens pending at once, as a busy server ` +
      `does; \`openssl speed -elapsed rsa2048\` (${section.openssl.version}, one core, wall-clock) ran before and ` +
      `after them: ${section.openssl.samples.map((sample) => format.rate(sample.signsPerSecond)).join(' and ')} signs/s, ` +
      `${format.rate(section.openssl.signsPerSecond)} used below.`,
    ...rest,
    `Event-loop delay (\`monitorEventLoopDelay\`, 1 ms resolution) while ${section.loopInFlight} tokens are ` +
      'always in flight (each finished token starts the next):',
    table(
      ['while', 'tokens/s', 'p50 delay', 'p99 delay', 'max delay'],
      section.loop.map((l) => [
        l.name,
        l.tokensPerSecond === 0 ? '—' : format.rate(l.tokensPerSecond),
        format.ms(l.p50Ms),
        format.ms(l.p99Ms),
        format.ms(l.maxMs),
      ]),
    ),
  ];
}

function sectionBody(section, settings) {
  if (section.pending) return [`${section.pending}.`];
  if (section.kind === 'rs256') return rs256Section(section, settings.throughput.rounds);
  if (section.kind === 'http') return httpSection(section, settings.http);
  if (section.kind === 'memory') return memorySection(section);
  return throughputSection(section, settings.throughput.rounds);
}

export function renderMarkdown(run) {
  const targets = targetsOf(run.sections);
  return [
    '# roomkey benchmarks',
    'Regenerated by `pnpm bench` (`BENCH_QUICK=1` for a smoke run); every number below comes from one run. ' +
      'Ratios are what counts: absolute numbers depend on the machine.',
    `${run.date} · Node ${run.node} · ${run.cpu} (${run.cores} cores) · ${run.platform} · ` +
      `${run.quick ? 'quick' : 'full'} mode · ${Math.round(run.seconds)} s`,
    '## Targets',
    table(
      ['measurement', 'measured', 'target', 'status'],
      targets.map((t) => [t.name, t.measured, t.target, t.met ? 'met' : '**missed**']),
    ),
    ...(targets.some((t) => !t.met)
      ? ['Where a target is missed, [README.md](README.md#where-the-time-goes) says where the time goes (profiles).']
      : []),
    ...run.sections.flatMap((section) => [`## ${section.title}`, ...sectionBody(section, run.settings)]),
  ].join('\n\n');
}
