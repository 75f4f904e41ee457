/**
 * Where the built snapshot-copy bundle lives (`dist/snapshot-copy/index.js`, exporting `start`,
 * `step` and `sweep`, zipped as `dist/snapshot-copy.zip`), and its content hash. Read by `main.ts`
 * and the benches: a top-level module, so main.ts imports nothing from scripts/. Constructs never
 * read it: they receive the result as props.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HandlerBundle } from './stacks/central/snapshot-copy';

const DIST = join(__dirname, 'dist');

/** The bundle in `dist/` (`npm run build`), or undefined when it has not been built. */
export function handlerBundleFromDist(dist = DIST): HandlerBundle | undefined {
  const code = join(dist, 'snapshot-copy', 'index.js');
  const zipFile = join(dist, 'snapshot-copy.zip');
  if (!existsSync(code) || !existsSync(zipFile)) return undefined;
  return { zipFile, sha256: createHash('sha256').update(readFileSync(code)).digest('base64') };
}
