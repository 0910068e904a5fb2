import { isIP } from 'node:net';

export interface SelfSignedTls {
  /** PEM of the CA that signed `cert`: what a client (or a caBundle) trusts. */
  ca: string;
  cert: string;
  key: string;
}

/**
 * A throwaway CA and a serving certificate it signs, for `--demo` and tests. The names are
 * the certificate's subject alternative names (DNS names or IP addresses).
 */
export async function makeSelfSignedTls(names: readonly string[] = ['localhost', '127.0.0.1'], days = 30): Promise<SelfSignedTls> {
  // Only the demo and tests need it: loaded on first use, not with the package.
  const { generate } = await import('selfsigned');
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + days * 86_400_000);
  const ca = await generate([{ name: 'commonName', value: 'signoff-webhook demo CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: names[0] ?? 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: names.map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })) },
    ],
  });
  return { ca: ca.cert, cert: leaf.cert, key: leaf.private };
}
