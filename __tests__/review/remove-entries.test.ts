import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeEntries } from '../../cli/review/trees';

describe('removeEntries (the base synth\'s stack folders, deleted many at a time)', () => {
  it('deletes every entry of the folder, nested folders and files, more entries than deletes at once, and keeps the folder', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'remove-entries-')), 'stacks');
    for (let i = 0; i < 40; i++) {
      mkdirSync(join(folder, `member-${i}`, 'assets'), { recursive: true });
      writeFileSync(join(folder, `member-${i}`, 'cdk.tf.json'), '{}');
      writeFileSync(join(folder, `member-${i}`, 'assets', 'a.zip'), 'zip');
    }
    writeFileSync(join(folder, 'loose-file'), 'x');
    await removeEntries(folder, 3);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('does nothing when the folder does not exist (a base that failed before writing)', async () => {
    await expect(removeEntries(join(tmpdir(), 'no-such-folder-remove-entries'))).resolves.toBeUndefined();
  });
});
