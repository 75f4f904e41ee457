/**
 * `npm run review [-- --base <git ref>] [--out <folder>]`: what this change does to every stack,
 * offline. Writes review.md and review.json to --out (default cdktf.out/review/) and prints the
 * Markdown. Exit 2, nothing written, when the review cannot be made (bad ref, a tree that does not
 * synthesize, unresolved conflicts, bad arguments). See README "Reviewing a change".
 */
import { UsageError } from './common/errors';
import { finish } from './common/exit';
import { parseArgs } from './review/args';
import { runReview } from './review/run';

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const result = await runReview(args, { cwd: process.cwd(), orgConfig: process.env.ORG_CONFIG, log: (line) => process.stderr.write(`review: ${line}\n`) });
  process.stdout.write(result.markdown);
  process.stderr.write(`review: wrote ${result.outDir}/review.md and review.json\n`);
  return 0;
}

finish(main(), [UsageError], (err) => (err as UsageError).exitCode);
