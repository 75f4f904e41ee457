import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HandlerBundle } from '../../stacks/central/snapshot-copy';

/** A stand-in handler bundle (stack tests need a folder to zip, not the real build). */
export function fakeBundle(content = 'exports.handler = async () => {};\n'): HandlerBundle {
  const directory = mkdtempSync(join(tmpdir(), 'bundle-'));
  writeFileSync(join(directory, 'index.js'), content);
  return { directory, sha256: createHash('sha256').update(content).digest('base64') };
}
