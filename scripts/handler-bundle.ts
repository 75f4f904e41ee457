/**
 * Where the built snapshot-copy handler lives, and its content hash. Read by `main.ts` (and the
 * bench), never by constructs: they receive the result as props.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HandlerBundle } from '../stacks/central/snapshot-copy';

const DIST = join(__dirname, '..', 'dist');

/** The bundle in `dist/` (`npm run build`), or undefined when it has not been built. */
export function handlerBundleFromDist(dist = DIST): HandlerBundle | undefined {
  const code = join(dist, 'snapshot-copy', 'index.js');
  const zipFile = join(dist, 'snapshot-copy.zip');
  if (!existsSync(code) || !existsSync(zipFile)) return undefined;
  return { zipFile, sha256: createHash('sha256').update(readFileSync(code)).digest('base64') };
}
