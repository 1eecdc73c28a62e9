/**
 * The core's import graph, read from its sources: no import cycles (type-only imports aside),
 * and no shared file reaching into a platform module: the pipeline, grant, request and issuer
 * options know platforms only through the registry (`platforms/index.ts`) and the interface.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

interface Edge {
  readonly to: string;
  readonly typeOnly: boolean;
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(directory, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(directory, entry.name)]
        : [],
  );
}

/** `import … from './x.js'` and `export … from './x.js'` statements, with whether each is type-only. */
export function importsOf(text: string): { specifier: string; typeOnly: boolean }[] {
  const statements = text.matchAll(/^(import|export)\s+(type\s+)?([^;]*?)\s+from\s+'([^']+)';/gms);
  return [...statements].map((match) => {
    const [, , typeKeyword, clause = '', specifier = ''] = match;
    // `import { type A, type B } from …` imports types only, as `import type { A, B }` does.
    const names = /^\{([^}]*)\}$/s.exec(clause.trim())?.[1];
    const allTypes =
      names
        ?.split(',')
        .map((name) => name.trim())
        .filter(Boolean)
        .every((name) => name.startsWith('type ')) === true;
    return { specifier, typeOnly: typeKeyword !== undefined || allTypes };
  });
}

function graph(): Map<string, Edge[]> {
  const edges = new Map<string, Edge[]>();
  for (const file of sourceFiles(SRC)) {
    const from = relative(SRC, file);
    const found = importsOf(readFileSync(file, 'utf8'))
      .filter(({ specifier }) => specifier.startsWith('.'))
      .map(({ specifier, typeOnly }) => ({
        to: relative(SRC, resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))),
        typeOnly,
      }));
    edges.set(from, found);
  }
  return edges;
}

function findCycle(edges: Map<string, Edge[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const edge of edges.get(node) ?? []) {
      if (edge.typeOnly) continue;
      const cycle = visit(edge.to);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

const isPlatformModule = (file: string) => file.startsWith('platforms/') && file !== 'platforms/index.ts';
const MAY_IMPORT_PLATFORMS = new Set(['index.ts', 'platforms/index.ts']);

describe("the core's import graph", () => {
  const edges = graph();

  it('reads every source file and its imports', () => {
    expect(edges.get('pipeline.ts')?.map((edge) => edge.to)).toContain('grant.ts');
    expect(edges.get('platforms/index.ts')?.map((edge) => edge.to)).toContain('platforms/red5pro.ts');
    expect(
      importsOf(
        "import type { A } from './a.js';\nimport { type B, type C } from './b.js';\nimport { D } from './d.js';",
      ),
    ).toEqual([
      { specifier: './a.js', typeOnly: true },
      { specifier: './b.js', typeOnly: true },
      { specifier: './d.js', typeOnly: false },
    ]);
  });

  it('has no import cycle (type-only imports aside)', () => {
    expect(findCycle(edges)).toBeUndefined();
    // The check finds one when there is one.
    expect(
      findCycle(
        new Map([
          ['a.ts', [{ to: 'b.ts', typeOnly: false }]],
          ['b.ts', [{ to: 'a.ts', typeOnly: false }]],
        ]),
      ),
    ).toEqual(['a.ts', 'b.ts', 'a.ts']);
  });

  it('no shared file imports a platform module, only the registry does (and the public index)', () => {
    const offending = [...edges]
      .filter(([from]) => !isPlatformModule(from) && !MAY_IMPORT_PLATFORMS.has(from))
      .flatMap(([from, found]) =>
        found.filter((edge) => isPlatformModule(edge.to)).map((edge) => `${from} → ${edge.to}`),
      );
    expect(offending).toEqual([]);
  });
});
