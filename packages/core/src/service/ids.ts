import { randomFillSync } from 'node:crypto';

const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Generates record ids such as `itm_3k9x0q…`: a prefix and 16 random lowercase characters. */
export type IdGenerator = (prefix: string) => string;

// One call into the CSPRNG per 256 ids instead of one per id (every recorded decision takes two).
const pool = Buffer.alloc(4096);
let used = pool.length;

export const randomId: IdGenerator = (prefix) => {
  if (used + 16 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  let out = '';
  for (let i = used; i < used + 16; i++) out += alphabet[pool[i]! % alphabet.length];
  used += 16;
  return `${prefix}_${out}`;
};
