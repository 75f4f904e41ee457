import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipBundle } from '../../scripts/build-handler';
import type { HandlerBundle } from '../../stacks/central/snapshot-copy';

/** A stand-in handler bundle (stack tests need a zip to point at, not the real build). */
export function fakeBundle(content = 'exports.handler = async () => {};\n'): HandlerBundle {
  const zipFile = join(mkdtempSync(join(tmpdir(), 'bundle-')), 'snapshot-copy.zip');
  writeFileSync(zipFile, zipBundle(Buffer.from(content)));
  return { zipFile, sha256: createHash('sha256').update(content).digest('base64') };
}
