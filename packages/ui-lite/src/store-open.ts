import { openLowdbStore, SignoffFault, type ErrorCode, type Store } from '@signoff/core';

/** A start-up failure with a stable code and a sentence for the operator. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const ADVICE: Partial<Record<ErrorCode, string>> = {
  STORE_LOCKED: 'is locked by another process (another signoff-server?): stop it, or use another --data file.',
  STORE_CORRUPT: 'is corrupt and was left untouched: restore it from a backup.',
  STORE_VERSION: 'was written by a newer signoff version: upgrade signoff-server.',
};

/**
 * Opens the lowdb data file, turning the store's STORE_LOCKED / STORE_CORRUPT /
 * STORE_VERSION faults into start-up errors that tell the operator what to do.
 */
export async function openDataStore(file: string): Promise<Store> {
  try {
    return await openLowdbStore(file);
  } catch (error) {
    if (error instanceof SignoffFault) {
      const advice = ADVICE[error.code];
      throw new StartupError(
        error.code,
        advice ? `The data file ${file} ${advice} (${error.message})` : `Cannot open the data file ${file}: ${error.message}`,
        { cause: error },
      );
    }
    throw new StartupError('STORE_OPEN', `Cannot open the data file ${file}: ${(error as Error).message}`, { cause: error });
  }
}
