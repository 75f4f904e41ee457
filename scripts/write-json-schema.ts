/**
 * Writes config/org-config.schema.json from the zod schema (`npm run get-schema`), so editors
 * complete and check org configs. A test fails when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { orgConfigJsonSchema } from '../config/schema';

export const JSON_SCHEMA_PATH = join(__dirname, '..', 'config', 'org-config.schema.json');

export function renderJsonSchema(): string {
  return `${JSON.stringify({ ...orgConfigJsonSchema(), title: 'ebs-event-hub organization config' }, null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(JSON_SCHEMA_PATH, renderJsonSchema());
  process.stdout.write(`wrote ${JSON_SCHEMA_PATH}\n`);
}
