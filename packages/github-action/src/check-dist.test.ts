import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const script = fileURLToPath(new URL('../scripts/check-dist.mjs', import.meta.url));

// CI fails here when someone changed the sources (or @signoff/core) without rebuilding dist/.
it('the committed dist/ is what the sources build', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 60_000 });
  expect(stdout).toContain('dist/ matches the sources');
}, 60_000);
