import type { Clock } from './types.js';

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  private t: number;
  constructor(start = '2026-03-01T09:00:00.000Z') {
    this.t = Date.parse(start);
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
}

/** Cheap scrypt for tests (the format and checks are the same). */
export const testPasswordParams = { N: 1024, r: 8, p: 1 };
