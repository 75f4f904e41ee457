/**
 * Where the built snapshot-copy handler lives, and its content hash. Read by `main.ts` (and the
 * bench), never by constructs: they receive the result as props.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HandlerBundle } from '../stacks/central/snapshot-copy';

export const HANDLER_BUNDLE_DIR = join(__dirname, '..', 'dist', 'snapshot-copy');
export const HANDLER_BUNDLE_FILE = join(HANDLER_BUNDLE_DIR, 'index.js');

/** The bundle in `dist/`, or undefined when it has not been built. */
export function handlerBundleFromDist(directory = HANDLER_BUNDLE_DIR): HandlerBundle | undefined {
  const file = join(directory, 'index.js');
  if (!existsSync(file)) return undefined;
  return { directory, sha256: createHash('sha256').update(readFileSync(file)).digest('base64') };
}
