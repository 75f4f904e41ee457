import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffStack } from '../../cli/review/diff';
import { buildReport, renderJson } from '../../cli/review/render';
import { reviewJsonFieldTable, reviewJsonSchema } from '../../cli/review/review-json';
import { ROOT } from '../support/run-main';
import { allFeaturesOrg, exampleOrg, synthConfig } from './synth-configs';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const START = '<!-- review.json fields: generated from cli/review/review-json.ts -->\n';
const END = '<!-- end review.json fields -->';

describe('review.json: one documented shape', () => {
  it('the README documents exactly the fields of the schema (the table is rendered from it)', () => {
    const at = README.indexOf(START);
    expect(at, 'README "Reviewing a change" has the review.json field table').toBeGreaterThan(0);
    expect(README.slice(at + START.length, README.indexOf(END))).toBe(`${reviewJsonFieldTable()}\n`);
  });

  it('the table names every top-level and per-stack field: widenings and replacements at the top, stack lists as lists', () => {
    const table = reviewJsonFieldTable();
    for (const field of ['replacements', 'possibleReplacements', 'leftBehind', 'deletions', 'widenings', 'unchangedStacks', 'planBatches']) expect(table).toContain(`| \`${field}\` |`);
    expect(reviewJsonSchema.shape.unchangedStacks.parse(['central'])).toEqual(['central']);
    expect(() => reviewJsonSchema.shape.unchangedStacks.parse(3)).toThrow();
  });

  it('a report over real stacks (every change kind: added, removed, changed, replaced) matches the schema, unknown fields refused', () => {
    const base = synthConfig(exampleOrg());
    const all = allFeaturesOrg();
    const head = synthConfig({ ...all, central: { ...all.central, busName: 'renamed-bus' }, members: all.members.filter((m) => m.accountId !== '444444444444') });
    const ids = [...new Set([...base.keys(), ...head.keys()])];
    const stacks = ids.map((id) => diffStack(id, base.get(id), head.get(id)));
    const report = buildReport(
      { addedStacks: ids.filter((i) => !base.has(i)), removedStacks: ids.filter((i) => !head.has(i)), changedStacks: ids.filter((i) => base.has(i) && head.has(i)), unchangedStacks: [], stacks, suppressions: [] },
      { ref: 'main', commit: 'd'.repeat(40) },
      head.size,
    );
    const json = JSON.parse(renderJson(report));
    expect(reviewJsonSchema.parse(json)).toEqual(json);
    expect(json.addedStacks).toEqual(['member-111111111111']);
    expect(json.leftBehind).toEqual([expect.objectContaining({ stack: 'member-444444444444', command: 'npm run rollout -- --destroy member-444444444444' })]);
    expect(json.replacements.length).toBeGreaterThan(0);
    expect(() => reviewJsonSchema.parse({ ...json, risk: {} })).toThrow(/risk/);
  });
});
