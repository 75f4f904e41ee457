import { UsageError } from '../common/errors';

export interface ReviewArgs {
  /** Git ref to compare with. @default - none: summarize the working tree only */
  readonly base?: string;
  /** Folder for review.md and review.json. @default 'cdktf.out/review' */
  readonly out: string;
}

export const USAGE = 'usage: npm run review [-- --base <git ref>] [--out <folder>]';

/** Parses `--base <ref>`, `--base=<ref>`, `--out <dir>`, `--out=<dir>`. */
export function parseArgs(argv: readonly string[]): ReviewArgs {
  let base: string | undefined;
  let out = 'cdktf.out/review';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag !== '--base' && flag !== '--out') throw new UsageError(`unknown argument ${JSON.stringify(arg)}; ${USAGE}`);
    const value = inline ?? argv[++i];
    if (value === undefined || value === '' || value.startsWith('--')) throw new UsageError(`${flag} needs a value; ${USAGE}`);
    if (flag === '--base') base = value;
    else out = value;
  }
  return { base, out };
}
