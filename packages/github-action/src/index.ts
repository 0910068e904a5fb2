import { config } from 'zod';
import { run } from './main.js';

// Each schema parses once or twice per run: compiling zod's fast paths costs more than it saves.
config({ jitless: true });

await run();
