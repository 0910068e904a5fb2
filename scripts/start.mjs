// `npm start`: the governance server on the embedded lowdb store with the demo world, and the
// admission webhook asking that server for decisions. Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = resolve(process.env.SIGNOFF_DATA_DIR ?? join(root, 'data'));
const serverPort = process.env.SIGNOFF_PORT ?? '8080';
const webhookPort = process.env.SIGNOFF_WEBHOOK_PORT ?? '8443';
mkdirSync(dataDir, { recursive: true, mode: 0o700 });

// The demo API key the webhook uses: kept across restarts so the stored key keeps matching.
const keyFile = join(dataDir, 'demo-api-key');
if (!existsSync(keyFile)) writeFileSync(keyFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
const demoApiKey = process.env.SIGNOFF_DEMO_API_KEY ?? readFileSync(keyFile, 'utf8').trim();

// A throwaway CA and serving certificate for the webhook (a cluster uses cert-manager instead).
const tlsDir = join(dataDir, 'webhook-tls');
if (!existsSync(join(tlsDir, 'tls.crt'))) {
  const { makeSelfSignedTls } = await import('@signoff/admission-webhook');
  const tls = await makeSelfSignedTls(['localhost', '127.0.0.1']);
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(tlsDir, 'ca.crt'), tls.ca);
  writeFileSync(join(tlsDir, 'tls.crt'), tls.cert);
  writeFileSync(join(tlsDir, 'tls.key'), tls.key, { mode: 0o600 });
}
const { DEMO_NAMESPACES } = await import('@signoff/core');
const namespaceMap = Object.entries(DEMO_NAMESPACES)
  .map(([namespace, infrastructure]) => `${namespace}=${infrastructure}`)
  .join(',');

const children = new Set();
let stopping = false;
function stopAll(code) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const child of children) child.kill('SIGTERM');
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

/** Starts a program, echoes its output, and resolves with the URL of its "listening" line. */
function run(name, script, args, env) {
  return new Promise((resolveUrl, reject) => {
    const child = spawn(process.execPath, [join(root, script), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.add(child);
    createInterface({ input: child.stdout }).on('line', (line) => {
      process.stdout.write(`[${name}] ${line}\n`);
      try {
        const entry = JSON.parse(line);
        if (entry.msg === 'listening' && entry.url) resolveUrl(entry.url);
      } catch {
        // not a JSON log line (e.g. printed passwords): shown as is
      }
    });
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (!stopping) {
        process.stderr.write(`${name} stopped (${signal ?? `exit ${code}`}); stopping the others\n`);
        stopAll(code || 1);
      }
      reject(new Error(`${name} exited before listening`));
    });
  });
}

try {
  const serverUrl = await run(
    'server',
    'packages/ui-lite/dist/cli.js',
    ['serve', '--demo', '--port', serverPort, '--data', join(dataDir, 'signoff.json')],
    { SIGNOFF_DEMO_API_KEY: demoApiKey },
  );
  const apiKeyFile = join(dataDir, 'webhook-api-key');
  writeFileSync(apiKeyFile, `${demoApiKey}\n`, { mode: 0o600 });
  const webhookUrl = await run('webhook', 'packages/admission-webhook/dist/bin/signoff-webhook.js', [
    '--port', webhookPort,
    '--host', '127.0.0.1',
    '--server-url', serverUrl,
    '--api-key-file', apiKeyFile,
    '--tls-cert', join(tlsDir, 'tls.crt'),
    '--tls-key', join(tlsDir, 'tls.key'),
    '--namespace-map', namespaceMap,
  ]);
  process.stdout.write(
    `\nsignoff is running:\n  UI and API   ${serverUrl}/  (OpenAPI: ${serverUrl}/api/v1/openapi.json)\n` +
      `  webhook      ${webhookUrl}/validate  (CA: ${join(tlsDir, 'ca.crt')})\n` +
      `  try: curl --cacert ${join(tlsDir, 'ca.crt')} -H 'content-type: application/json' ` +
      `--data @../shared/fixtures/admission/deployment-create.json ${webhookUrl}/validate\n\n`,
  );
} catch (error) {
  if (!stopping) {
    process.stderr.write(`npm start: ${error.message}\n`);
    stopAll(1);
  }
}
