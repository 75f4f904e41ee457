/**
 * Bundles handlers/snapshot-copy/index.ts into ONE file, dist/snapshot-copy/index.js (CommonJS,
 * node22, exports the entry points `start`, `step` and `sweep`) with the AWS SDK v3 clients inside, and zips it into
 * dist/snapshot-copy.zip, the function's code. Deterministic: no sourcemap, no legal comments, no
 * absolute paths or timestamps, so a rebuild is byte-identical (bundle and zip).
 *
 *   npm run build            (tsx scripts/build-handler.ts)
 *   import { buildHandler }  (tests, bench)
 */
import { build, type Plugin } from 'esbuild';
import { zipSync } from 'fflate';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
export const HANDLER_ENTRY = resolve(ROOT, 'handlers/snapshot-copy/index.ts');
export const HANDLER_OUTFILE = resolve(ROOT, 'dist/snapshot-copy/index.js');
/** The Lambda deployment package: the bundle as `index.js` at the zip's root. */
export const HANDLER_ZIPFILE = resolve(ROOT, 'dist/snapshot-copy.zip');

/**
 * Zips the bundle with a fixed timestamp and mode, so the same code always makes the same bytes.
 * (cdktf's own ARCHIVE assets carry the time of synthesis, and zipping spawns a process at every
 * synth.) DOS timestamps are local time: a local-time date encodes the same in every time zone.
 */
export function zipBundle(code: Uint8Array): Uint8Array {
  return zipSync({ 'index.js': [code, { mtime: new Date(1980, 0, 2), level: 9, os: 3, attrs: 0o100644 << 16 }] });
}

/**
 * Lets esbuild tree-shake the SDK's generated schema modules.
 *
 * A client's dist-es/schemas/schemas_0.js declares every shape of the service as a top-level
 * `var X$ = [3, n0, _Name, 0, [...], [0, [() => Y$, { [_xN]: _Tag }]]]`. The computed keys
 * `[_xN]`, `[_eQN]` reference string constants, but esbuild treats a computed key as a possible
 * side effect (toString), so it keeps all ~3,400 EC2 shapes (~550 kB, allocated at every cold start)
 * although the handler sends three operations. This plugin replaces each computed key that names a
 * string constant declared in the same file (`const _xN = "xmlName";`) by that string literal, which
 * yields the same objects, and esbuild then drops the unused shapes. Anything it does not recognise
 * is left as it was.
 */
export const sdkSchemaTreeShaking: Plugin = {
  name: 'sdk-schema-tree-shaking',
  setup(b) {
    b.onLoad({ filter: /[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/](?:submodules[\\/][^\\/]+[\\/])?schemas[\\/]schemas_\d+\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const strings = new Map<string, string>();
      for (const m of source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)) strings.set(m[1]!, m[2]!);
      const contents = source.replace(/\[(_\w+)\]:/g, (whole, name: string) => strings.get(name) !== undefined ? `${strings.get(name)}:` : whole);
      return { contents, loader: 'js' };
    });
  },
};

export async function buildHandler(): Promise<{ outfile: string; bytes: number; zipFile: string }> {
  mkdirSync(resolve(ROOT, 'dist/snapshot-copy'), { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [HANDLER_ENTRY],
    outfile: HANDLER_OUTFILE,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    // ESM builds first: the EC2 client's CommonJS build is one ~1 MB file that cannot be tree-shaken.
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
    metafile: false,
    plugins: [sdkSchemaTreeShaking],
  });
  if (result.errors.length > 0) throw new Error(`esbuild failed: ${result.errors.map((e) => e.text).join('; ')}`);
  writeFileSync(HANDLER_ZIPFILE, zipBundle(readFileSync(HANDLER_OUTFILE)));
  return { outfile: HANDLER_OUTFILE, bytes: statSync(HANDLER_OUTFILE).size, zipFile: HANDLER_ZIPFILE };
}

const isMain = /build-handler\.[cm]?[jt]s$/.test(process.argv[1] ?? '');
if (isMain) {
  buildHandler().then(
    ({ outfile, bytes }) => {
      console.log(`built ${outfile.slice(ROOT.length + 1)}: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB)`);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
