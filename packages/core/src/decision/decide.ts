import type { Decision, DecisionRequest } from './schema.js';
import type { Infrastructure } from '../schemas/infrastructure.js';
import type { Item } from '../schemas/item.js';

export interface DecideContext {
  /** ISO timestamp from the injected clock. */
  now: string;
  /** Reference of the matched item as `project/name@version`. */
  itemRef?: string;
  /** Link to the item's review page, built from the public URL. */
  reviewUrl?: string;
  /** Who can approve, as names for the reasons (e.g. `fiona (final approver)`). */
  approvers?: readonly string[];
  /** The request named an item that does not exist. */
  unknownItemRef?: string;
}

/**
 * May `request`'s artifacts be deployed to `infrastructure`? Pure: the same inputs give the
 * same decision. `item` is the governed item the request matched, if any.
 */
export function decide(
  infrastructure: Infrastructure,
  item: Item | undefined,
  request: DecisionRequest,
  context: DecideContext,
): Decision {
  void infrastructure;
  void item;
  void request;
  void context;
  throw new Error('decide: not implemented yet');
}
