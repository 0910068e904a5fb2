import { request, createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { makeSelfSignedTls } from './self-signed.js';

it('makes a CA and a serving certificate that a client trusting only the CA accepts for 127.0.0.1 and localhost', async () => {
  const tls = await makeSelfSignedTls(['localhost', '127.0.0.1']);
  const server = createServer({ cert: tls.cert, key: tls.key }, (_q, r) => r.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    for (const host of ['127.0.0.1', 'localhost']) {
      const body = await new Promise<string>((resolve, reject) => {
        request({ host, port, ca: tls.ca }, (res) => {
          let b = '';
          res.on('data', (d: Buffer) => (b += d.toString()));
          res.on('end', () => resolve(b));
        })
          .on('error', reject)
          .end();
      });
      expect(body).toBe('ok');
    }
    // and a client that does not trust the CA refuses it
    await expect(
      new Promise((resolve, reject) => request({ host: '127.0.0.1', port }, resolve).on('error', reject).end()),
    ).rejects.toThrow(/certificate/i);
  } finally {
    server.close();
  }
});
