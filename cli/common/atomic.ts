import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes every file of `files` into `dir`, or none: each is written to a temporary name first,
 * and renamed over its final name only when all were written (a rename is atomic on one file
 * system). A reader never sees a half-written report.
 */
export function writeFilesAtomically(dir: string, files: Readonly<Record<string, string>>): void {
  mkdirSync(dir, { recursive: true });
  const suffix = `.tmp-${process.pid}-${Date.now()}`;
  const written: string[] = [];
  try {
    for (const [name, content] of Object.entries(files)) {
      const tmp = join(dir, name + suffix);
      writeFileSync(tmp, content);
      written.push(tmp);
    }
  } catch (err) {
    for (const tmp of written) rmSync(tmp, { force: true });
    throw err;
  }
  for (const name of Object.keys(files)) renameSync(join(dir, name + suffix), join(dir, name));
}

/** `writeFilesAtomically` for one file at `path`. */
export function writeFileAtomically(path: string, content: string): void {
  writeFilesAtomically(dirname(path), { [basename(path)]: content });
}
