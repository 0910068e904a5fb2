// Bundles the Action into one ESM file, dist/index.js, as the runner loads it (node24).
// `node build.mjs [outdir]` (default dist/); scripts/check-dist.mjs builds into a temp dir and compares.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(process.argv[2] ?? path.join(here, 'dist'));

const result = await build({
  absWorkingDir: here,
  entryPoints: ['src/index.ts'],
  outfile: path.join(outdir, 'index.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Bundle @signoff/core from its TypeScript source: the bundle never depends on core's build.
  conditions: ['source'],
  mainFields: ['module', 'main'],
  // CommonJS dependencies (tunnel via @actions/http-client) call require(): give them one.
  banner: {
    js: "import { createRequire as __signoffCreateRequire } from 'node:module';\nconst require = __signoffCreateRequire(import.meta.url);",
  },
  // Only reachable when a private CA is configured, which the Action never does.
  external: ['undici'],
  legalComments: 'eof',
  sourcemap: false,
  minify: false,
  treeShaking: true,
  logLevel: 'warning',
  metafile: true,
});

const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`built ${path.relative(process.cwd(), path.join(outdir, 'index.js')) || 'index.js'} (${(bytes / 1024).toFixed(0)} KiB)`);
