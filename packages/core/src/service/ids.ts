import { randomBytes } from 'node:crypto';

const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Generates record ids such as `itm_3k9x0q…`: a prefix and 16 random lowercase characters. */
export type IdGenerator = (prefix: string) => string;

export const randomId: IdGenerator = (prefix) => {
  const bytes = randomBytes(16);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return `${prefix}_${out}`;
};
