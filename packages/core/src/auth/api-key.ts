import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

const TOKEN = /^sk_([a-z0-9]{6,32})_([A-Za-z0-9_-]{16,256})$/;

export interface ApiKeyMaterial {
  /** Public part, stored in clear and used to find the key. */
  prefix: string;
  /** The bearer token the caller presents: `sk_<prefix>_<secret>`. Shown once. */
  token: string;
  /** `sha256$<hex>` of the secret part. */
  secretHash: string;
}

const sha256 = (s: string): string => hash('sha256', s, 'hex');

export function hashApiKeySecret(secret: string): string {
  return `sha256$${sha256(secret)}`;
}

/**
 * Split a bearer token into the prefix that finds the key and the secret to check.
 * Tokens of the form `sk_<prefix>_<secret>` carry their prefix; any other opaque token (such
 * as a demo key chosen in `SIGNOFF_DEMO_API_KEY`) is found by a prefix derived from its hash.
 */
export function parseApiKeyToken(token: string): { prefix: string; secret: string } | undefined {
  if (token.length === 0 || token.length > 512) return undefined;
  const m = TOKEN.exec(token);
  if (m) return { prefix: m[1] as string, secret: m[2] as string };
  if (!/^[\x21-\x7e]{16,512}$/.test(token)) return undefined;
  return { prefix: `h${sha256(`signoff-token:${token}`).slice(0, 15)}`, secret: token };
}

/** A new API key: random 10-character prefix and a 32-byte secret. */
export function generateApiKey(): ApiKeyMaterial {
  const prefix = randomBytes(8).toString('hex').slice(0, 10);
  const secret = randomBytes(32).toString('base64url');
  return { prefix, token: `sk_${prefix}_${secret}`, secretHash: hashApiKeySecret(secret) };
}

/** Key material for a caller-chosen token (demo mode only). Undefined when the token is unusable. */
export function apiKeyFromToken(token: string): ApiKeyMaterial | undefined {
  const parsed = parseApiKeyToken(token);
  if (!parsed) return undefined;
  return { prefix: parsed.prefix, token, secretHash: hashApiKeySecret(parsed.secret) };
}

/** Constant-time check of a presented secret against the stored hash. */
export function verifyApiKeySecret(secret: string, secretHash: string): boolean {
  if (!secretHash.startsWith('sha256$')) return false;
  const expected = Buffer.from(secretHash.slice(7), 'hex');
  const actual = hash('sha256', secret, 'buffer');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
