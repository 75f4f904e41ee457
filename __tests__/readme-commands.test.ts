/**
 * The README's commands run as written. Every line of every ```sh block runs, in order, in a fresh
 * copy of the repository (node_modules linked), except:
 * - lines ending in `# needs AWS credentials`: checked for what can be checked offline (the npm
 *   script exists, and a rollout's arguments parse);
 * - `npm ci` and `npm test` (Quick start): `.ci/run` runs exactly these on a clean clone (running
 *   them here would replace the linked node_modules and run this suite inside itself), so the
 *   test checks `.ci/run` does.
 * Blocks of other languages (```text, ```console) are output, not commands.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCopiesArgs } from '../cli/copies/args';
import { parseRolloutArgs } from '../cli/rollout/args';
import { ROOT } from './support/run-main';

const NEEDS_CREDENTIALS = '# needs AWS credentials';

/** The shell commands of the ```sh blocks of one README section. */
function sectionCommands(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`README has no section ${heading}`);
  const level = heading.split(' ')[0]!;
  const rest = markdown.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n${level} `));
  const section = end === -1 ? rest : rest.slice(0, end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#')));
}

/** The shell commands of every ```sh block of the README, in order. */
function allCommands(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#')));
}

/** Commands CI runs itself on a clean clone (`.ci/run`). */
const RUN_BY_CI = ['npm ci', 'npm test'];
const commandOf = (line: string): string => line.replace(/\s+#.*$/, '').trim();

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const deployCommands = sectionCommands(readme, '## Deploy');
const commands = allCommands(readme).filter((c) => !RUN_BY_CI.includes(commandOf(c)));
const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

let copy: string | undefined;
afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

/** The repository's tracked files in a temporary folder, with node_modules linked. */
function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'readme-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    try {
      cpSync(join(ROOT, f), join(dir, f));
    } catch {
      // Deleted in the worktree but still in the index.
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

describe('README commands', () => {
  it('has Deploy commands, and marks the ones that need credentials', () => {
    expect(deployCommands.filter((c) => !c.includes(NEEDS_CREDENTIALS)).length).toBeGreaterThanOrEqual(3);
    expect(deployCommands.filter((c) => c.includes(NEEDS_CREDENTIALS)).length).toBeGreaterThanOrEqual(1);
  });

  it('leaves to CI only the commands .ci/run itself runs on a clean clone (npm ci, npm test)', () => {
    const ciRun = readFileSync(join(ROOT, '.ci', 'run'), 'utf8').split('\n').map((l) => l.trim());
    const skipped = allCommands(readme).filter((c) => RUN_BY_CI.includes(commandOf(c)));
    expect(skipped.map(commandOf).sort()).toEqual([...RUN_BY_CI].sort());
    for (const command of RUN_BY_CI) expect(ciRun).toContain(command === 'npm ci' ? 'npm ci --no-audit --no-fund' : command);
  });

  it('the ones needing credentials name an existing npm script with arguments it accepts', () => {
    for (const line of commands.filter((c) => c.includes(NEEDS_CREDENTIALS))) {
      const m = /^npm run (?:-s )?([\w:]+)(?: -- (.*?))?\s+# needs AWS credentials$/.exec(line);
      expect(m, line).not.toBeNull();
      expect(Object.keys(scripts), line).toContain(m![1]);
      if (m![1] === 'rollout') expect(() => parseRolloutArgs(m![2]!.split(/\s+/), {}), line).not.toThrow();
      if (m![1] === 'copies') expect(() => parseCopiesArgs(m![2]!.split(/\s+/)), line).not.toThrow();
    }
  });

  it('the others run as written, in order, in a fresh copy', () => {
    copy = freshCopy();
    const env: NodeJS.ProcessEnv = { ...process.env, TF_PLUGIN_CACHE_DIR: join(copy, '.plugin-cache') };
    delete env.ORG_CONFIG;
    delete env.CDKTF_OUTDIR;
    for (const line of commands.filter((c) => !c.includes(NEEDS_CREDENTIALS))) {
      const run = spawnSync('bash', ['-euo', 'pipefail', '-c', line], { cwd: copy, env, encoding: 'utf8' });
      expect(run.status, `${line}\n${run.stdout}\n${run.stderr}`).toBe(0);
      if (/rollout .*--dry-run/.test(line) && !/--resume/.test(line)) expect(run.stdout).toMatch(/terraform -chdir=cdktf.out\/stacks\/central init -input=false/);
    }
  }, 180_000);
});
