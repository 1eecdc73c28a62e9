// Type-checks every TypeScript and JavaScript code block of every README in the repository,
// under strict TypeScript against the workspace packages, so that a snippet can never drift
// from the code it documents. Each block is a module of its own: it must import what it uses
// and `declare` what the reader's app provides. A block can be left out only on purpose, with
// `<!-- docs-check: skip (why) -->` on the line before its fence.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, '.docs-check');
const LANGUAGES = { ts: 'ts', typescript: 'ts', js: 'mjs', javascript: 'mjs', mjs: 'mjs' };

const readmes = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*README.md'], {
  cwd: root,
  encoding: 'utf8',
})
  .split('\n')
  .filter((file) => file !== '' && !file.includes('node_modules/'));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

/** Generated file → where its block starts in which README. */
const origins = new Map();
let skipped = 0;
for (const readme of readmes) {
  const lines = readFileSync(join(root, readme), 'utf8').split('\n');
  for (let index = 0; index < lines.length; index++) {
    const fence = /^```(\w+)\s*$/.exec(lines[index] ?? '');
    if (!fence) continue;
    const end = lines.findIndex((line, at) => at > index && /^```\s*$/.test(line));
    if (end < 0) throw new Error(`${readme}:${index + 1}: a code block that never closes`);
    const extension = LANGUAGES[fence[1].toLowerCase()];
    if (extension !== undefined) {
      if (/<!-- docs-check: skip \(.+\) -->/.test(lines[index - 1] ?? '')) {
        skipped++;
      } else {
        const code = lines.slice(index + 1, end).join('\n');
        const name = `${readme.replace(/[^\w]+/g, '_')}_${index + 2}.${extension}`;
        const isModule = /^\s*(import|export)\s/m.test(code);
        writeFileSync(join(out, name), `${code}\n${isModule ? '' : 'export {};\n'}`);
        origins.set(name, { readme, line: index + 2 });
      }
    }
    index = end;
  }
}

writeFileSync(
  join(out, 'tsconfig.json'),
  JSON.stringify(
    {
      extends: '../tsconfig.base.json',
      compilerOptions: {
        noEmit: true,
        allowJs: true,
        checkJs: true,
        lib: ['ES2023', 'DOM', 'DOM.Iterable'],
        types: ['node'],
        declaration: false,
        declarationMap: false,
        sourceMap: false,
      },
      include: ['*.ts', '*.mjs'],
    },
    null,
    2,
  ),
);

const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', out, '--pretty', 'false'],
  {
    cwd: root,
    encoding: 'utf8',
  },
);
const report = `${tsc.stdout}${tsc.stderr}`
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const match = /^(?:\.docs-check\/)?([^(]+)\((\d+),(\d+)\): (.*)$/.exec(line);
    const origin = match ? origins.get(match[1]) : undefined;
    return origin ? `${origin.readme}:${origin.line + Number(match[2]) - 1}:${match[3]} ${match[4]}` : line;
  });

const counted = `${origins.size} code blocks from ${readmes.length} READMEs${skipped ? ` (${skipped} skipped on purpose)` : ''}`;
if (tsc.status !== 0) {
  process.stdout.write(`${report.join('\n')}\nREADME code blocks that do not type-check (${counted})\n`);
  process.exit(1);
}
process.stdout.write(`type-checked ${counted}\n`);
