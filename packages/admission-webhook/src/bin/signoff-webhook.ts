#!/usr/bin/env node
import { CommanderError } from 'commander';
import { ConfigError, main } from '../cli/main.js';
import { parseCli } from '../cli/options.js';

try {
  const options = parseCli(process.argv.slice(2));
  await main(options);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${JSON.stringify({ level: 60, msg: `signoff-webhook: ${message}`, error: e instanceof ConfigError ? 'config' : 'startup' })}\n`);
  process.exit(e instanceof ConfigError ? 2 : 1);
}
