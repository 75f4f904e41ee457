/**
 * No import cycles under `stacks/`: a cycle means neither module can be read, tested or moved
 * without the other, and under CommonJS one of them sees the other half-initialized.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph, importsOf } from './support/import-graph';

const ROOT = join(__dirname, '..');

describe('import cycles', () => {
  it('GIVEN stacks/ WHEN its imports are walked (type-only imports included) THEN no file reaches itself', () => {
    const graph = importGraph(ROOT, 'stacks');
    expect(graph.size).toBeGreaterThan(30); // the walk found the folder's files
    expect(graph.get(join('stacks', 'central-stack.ts'))).toContain(join('stacks', 'central', 'snapshot-copy.ts'));
    expect(importCycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('reads every kind of import, type-only and re-exports included', () => {
    const source = [
      "import { a } from './a';",
      "import type { B } from './b';",
      "export { c } from './c';",
      "export type { D } from '../d';",
      "import './e';",
      "const f = require('./f');",
      "const g = import('./g');",
      "import { Construct } from 'constructs';",
    ].join('\n');
    expect(importsOf(source)).toEqual(['./a', './b', './c', '../d', './e', './f', './g', 'constructs']);
  });

  it('GIVEN a graph with a two-file cycle, a three-file cycle and a self-import THEN it reports each as a path, and nothing of the acyclic part', () => {
    const graph = new Map<string, string[]>([
      ['a.ts', ['b.ts']],
      ['b.ts', ['a.ts', 'c.ts']],
      ['c.ts', []],
      ['d.ts', ['e.ts']],
      ['e.ts', ['f.ts']],
      ['f.ts', ['d.ts', 'c.ts']],
      ['g.ts', ['g.ts']],
      ['h.ts', ['a.ts', 'c.ts']],
    ]);
    expect(importCycles(graph)).toEqual([
      ['a.ts', 'b.ts', 'a.ts'],
      ['d.ts', 'e.ts', 'f.ts', 'd.ts'],
      ['g.ts', 'g.ts'],
    ]);
  });

  it('GIVEN an acyclic graph (a diamond) THEN it reports no cycle', () => {
    const graph = new Map<string, string[]>([
      ['top.ts', ['left.ts', 'right.ts']],
      ['left.ts', ['bottom.ts']],
      ['right.ts', ['bottom.ts']],
      ['bottom.ts', []],
    ]);
    expect(importCycles(graph)).toEqual([]);
  });
});
