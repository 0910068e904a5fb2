import type { Item } from '../schemas/item.js';
import type { Signoff, SignoffStatus } from '../signoff/schema.js';

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
  const steps = mandatorySteps ?? Object.keys(item.signoffs);
  const counted: [string, Signoff][] = [];
  for (const id of steps) {
    const so = item.signoffs[id];
    if (so) counted.push([id, so]);
  }
  if (counted.length === 0) return { status: 'Not started', approved: false, approvedDigests: EMPTY };
  for (const [stepId, so] of counted) {
    if (so.status !== 'Approved') return { status: so.status, approved: false, stepId, approvedDigests: EMPTY };
  }
  const [firstStep, first] = counted[0] as [string, Signoff];
  let covered = approvedSet(first);
  for (const [, so] of counted.slice(1)) {
    const other = approvedSet(so);
    covered = new Set([...covered].filter((k) => other.has(k)));
  }
  return { status: 'Approved', approved: true, stepId: firstStep, approvedDigests: covered };
}

/** Store records are immutable, so a sign-off's approved set is built once. */
const approvedSets = new WeakMap<Signoff, ReadonlySet<string>>();
function approvedSet(so: Signoff): ReadonlySet<string> {
  let set = approvedSets.get(so);
  if (!set) {
    set = new Set(so.approvedDigests ?? []);
    approvedSets.set(so, set);
  }
  return set;
}
