import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { createSecureContext } from 'node:tls';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/** Read a certificate and its key, and check that they make a usable TLS context. */
export async function readTls(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  createSecureContext({ cert, key }); // throws on a torn or mismatched pair
  return { cert, key };
}

export interface TlsWatcher {
  close(): void;
}

/**
 * Watch the certificate and key files (their directories, so that the symlink swap of a
 * Kubernetes Secret volume and cert-manager's rotation are seen) and call `apply` with the new
 * material. A pair that does not load (half written, key and certificate out of step) is
 * ignored until the next change, and the last good one stays in use.
 */
export function watchTls(
  certFile: string,
  keyFile: string,
  apply: (material: TlsMaterial) => void,
  onError: (message: string) => void = () => undefined,
  debounceMs = 100,
): TlsWatcher {
  const watched = new Set([certFile, keyFile].map((f) => basename(f)));
  const dirs = new Set([dirname(certFile), dirname(keyFile)]);
  let timer: NodeJS.Timeout | undefined;
  let retries = 0;
  const reload = (): void => {
    readTls(certFile, keyFile).then(
      (m) => {
        retries = 0;
        apply(m);
      },
      (e: unknown) => {
        onError(`TLS reload failed, keeping the previous certificate: ${(e as Error).message}`);
        // A writer may still be between the two files: look again shortly.
        if (retries++ < 10) schedule(500);
      },
    );
  };
  const schedule = (ms = debounceMs): void => {
    clearTimeout(timer);
    timer = setTimeout(reload, ms);
    timer.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const dir of dirs) {
    const w = watch(dir, { persistent: false }, (_event, file) => {
      // Secret volumes swap a `..data` symlink; any change there touches our files.
      if (file === null || watched.has(file.toString()) || file.toString().startsWith('..')) schedule();
    });
    w.on('error', (e) => onError(`TLS watch failed: ${e.message}`));
    watchers.push(w);
  }
  return {
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
