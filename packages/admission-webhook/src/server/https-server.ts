import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { readTls, watchTls, type TlsWatcher } from './tls.js';
import { createHandler, type HandlerDeps } from './handler.js';

export interface HttpsServerOptions extends HandlerDeps {
  certFile: string;
  keyFile: string;
  port: number;
  host?: string;
  logger: Logger;
}

export interface RunningHttpsServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Listen on HTTPS (TLS ≥ 1.2) with the certificate reloaded whenever its files change. */
export async function listenHttps(options: HttpsServerOptions): Promise<RunningHttpsServer> {
  const tls = await readTls(options.certFile, options.keyFile);
  const server = createServer(
    {
      ...tls,
      minVersion: 'TLSv1.2',
      keepAlive: true,
      // The API server keeps connections open; keep them longer than its idle timeout.
      keepAliveTimeout: 65_000,
      requestTimeout: 30_000,
      headersTimeout: 20_000,
    },
    createHandler(options),
  );
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.on('tlsClientError', () => undefined);
  const watcher: TlsWatcher = watchTls(
    options.certFile,
    options.keyFile,
    (m) => {
      server.setSecureContext({ ...m, minVersion: 'TLSv1.2' });
      options.logger.info({ cert: options.certFile }, 'TLS certificate reloaded');
    },
    (message) => options.logger.warn(message),
  );
  const host = options.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        watcher.close();
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5000).unref();
      }),
  };
}
