// Fails when the committed dist/ is not what the sources build (CI runs this through vitest too).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(path.join(tmpdir(), 'signoff-action-dist-'));
try {
  execFileSync(process.execPath, [path.join(pkg, 'build.mjs'), tmp], { cwd: pkg, stdio: ['ignore', 'ignore', 'inherit'] });
  const committed = path.join(pkg, 'dist');
  const wanted = readdirSync(tmp).sort();
  const have = readdirSync(committed).filter((f) => !f.startsWith('.')).sort();
  const problems = [];
  for (const f of wanted) {
    if (!have.includes(f)) problems.push(`dist/${f} is missing`);
    else if (!readFileSync(path.join(tmp, f)).equals(readFileSync(path.join(committed, f)))) problems.push(`dist/${f} differs from a fresh build`);
  }
  for (const f of have) if (!wanted.includes(f)) problems.push(`dist/${f} is not produced by the build`);
  if (problems.length) {
    console.error(`dist/ is stale: ${problems.join('; ')}.\nRun \`npm run build -w @signoff/github-action\` and commit dist/.`);
    process.exit(1);
  }
  console.log('dist/ matches the sources');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
