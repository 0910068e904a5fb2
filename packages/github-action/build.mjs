// Bundles the Action into one ESM file, dist/index.js, as the runner loads it (node24).
// `node build.mjs [outdir]` (default dist/); scripts/check-dist.mjs builds into a temp dir and compares.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(process.argv[2] ?? path.join(here, 'dist'));

/**
 * @actions/http-client imports undici's ProxyAgent at load, which makes the bundle evaluate all
 * of undici (~100 modules) at start-up, although the Action never sends a request through
 * http-client (Octokit and the signoff client use fetch). Its import gets a stand-in whose
 * ProxyAgent loads the real (bundled) undici on first use, so nothing changes but the start-up.
 */
const lazyUndici = {
  name: 'lazy-undici-for-http-client',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) =>
      /[\\/]@actions[\\/]http-client[\\/]/.test(args.importer) ? { path: 'undici', namespace: 'lazy-undici' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-undici' }, () => ({
      resolveDir: here,
      loader: 'js',
      contents: "export class ProxyAgent {\n  constructor(options) {\n    return new (require('undici').ProxyAgent)(options);\n  }\n}\n",
    }));
  },
};

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
  // Nothing is external: the runner checks out the repository without node_modules, so every
  // package (undici included: @actions/http-client imports it at load) must be in the bundle.
  plugins: [lazyUndici],
  legalComments: 'eof',
  sourcemap: false,
  minify: false,
  treeShaking: true,
  logLevel: 'warning',
  metafile: true,
});

// Only Node's own modules may be left to load at run time.
const builtin = new Set((await import('node:module')).builtinModules);
const left = Object.values(result.metafile.outputs)
  .flatMap((o) => o.imports)
  .filter((i) => i.external && !builtin.has(i.path.replace(/^node:/, '')));
if (left.length) throw new Error(`dist/index.js would load packages at run time: ${left.map((i) => i.path).join(', ')}`);

const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`built ${path.relative(process.cwd(), path.join(outdir, 'index.js')) || 'index.js'} (${(bytes / 1024).toFixed(0)} KiB)`);
