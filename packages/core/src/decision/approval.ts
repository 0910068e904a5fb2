import type { Item } from '../schemas/item.js';
import type { Signoff, SignoffStatus } from '../signoff/schema.js';
import { sharedKey } from '../refs/artifact.js';

/** Where an item stands for a deployment: the sign-off status that counts and what it approved. */
export interface ItemApproval {
  /** `Approved` when every counted sign-off is; otherwise the status of the first one that is not. */
  status: SignoffStatus;
  /** Every counted sign-off is Approved (and there is at least one). */
  approved: boolean;
  /** Step id of the sign-off that decides `status`, when there is one. */
  stepId?: string;
  /**
   * The keys the approval covers: the `approvedDigests` common to every counted sign-off.
   * Empty when not approved.
   */
  approvedDigests: ReadonlySet<string>;
}

const EMPTY: ReadonlySet<string> = new Set();

/**
 * Which sign-offs decide whether `item` may be deployed: those of `mandatorySteps` when given
 * (the template's steps whose sign-off is mandatory), else every sign-off the item holds. An item
 * without any counted sign-off is not approved (status `Not started`): nobody approved it.
 */
export function itemApproval(item: Item, mandatorySteps?: readonly string[]): ItemApproval {
  const signoffs: object = item.signoffs;
  const cached = approvals.get(signoffs);
  if (cached !== undefined && sameSteps(cached.steps, mandatorySteps)) return cached.value;
  const value = computeApproval(item, mandatorySteps);
  approvals.set(signoffs, { steps: mandatorySteps === undefined ? undefined : sharedSteps(mandatorySteps), value });
  return value;
}

/**
 * The lists of mandatory steps the cache entries keep, one copy per distinct list in a row (a
 * template's list is asked again and again): the entries of thousands of items then point to one
 * array that stays in the processor's cache, instead of each to its own copy.
 */
let lastSteps: readonly string[] = Object.freeze([]);
function sharedSteps(steps: readonly string[]): readonly string[] {
  if (!sameSteps(lastSteps, steps)) lastSteps = Object.freeze([...steps]);
  return lastSteps;
}

/**
 * Store records are immutable (an update writes a new `signoffs` object), so the approval of a
 * `signoffs` object is computed once per set of mandatory steps asked with (the last one asked).
 */
const approvals = new WeakMap<object, { steps: readonly string[] | undefined; value: ItemApproval }>();

function sameSteps(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function computeApproval(item: Item, mandatorySteps?: readonly string[]): ItemApproval {
  let firstStep: string | undefined;
  let covered: ReadonlySet<string> = EMPTY;
  const count = (stepId: string, so: Signoff | undefined): ItemApproval | undefined => {
    if (!so) return undefined;
    if (so.status !== 'Approved') return Object.freeze({ status: so.status, approved: false, stepId, approvedDigests: EMPTY });
    if (firstStep === undefined) {
      firstStep = stepId;
      covered = approvedSet(so);
    } else {
      const other = approvedSet(so);
      covered = new Set([...covered].filter((k) => other.has(k)));
    }
    return undefined;
  };
  if (mandatorySteps) {
    for (const id of mandatorySteps) {
      const stop = count(id, item.signoffs[id]);
      if (stop) return stop;
    }
  } else {
    for (const id in item.signoffs) {
      const stop = count(id, item.signoffs[id]);
      if (stop) return stop;
    }
  }
  if (firstStep === undefined) return NOT_STARTED;
  return Object.freeze({ status: 'Approved', approved: true, stepId: firstStep, approvedDigests: covered });
}

const NOT_STARTED: ItemApproval = Object.freeze({ status: 'Not started', approved: false, approvedDigests: EMPTY });

/** Store records are immutable, so a sign-off's approved set is built once. */
const approvedSets = new WeakMap<Signoff, ReadonlySet<string>>();
function approvedSet(so: Signoff): ReadonlySet<string> {
  let set = approvedSets.get(so);
  if (!set) {
    const fresh = new Set<string>();
    for (const d of so.approvedDigests ?? []) fresh.add(sharedKey(d));
    set = fresh;
    approvedSets.set(so, set);
  }
  return set;
}
