/*
 * From the audit events of one transaction to the notifications and subscriptions it causes.
 * Runs inside that transaction (see `withNotifications`), so an outbox entry is committed
 * exactly when the change that caused it is, and never without it.
 */
import type { AuditEventInput } from '../audit/schema.js';
import type { Assignee } from '../schemas/principal.js';
import type { Item } from '../schemas/item.js';
import type { Project } from '../schemas/project.js';
import type { StoreReader, StoreTx } from '../store/types.js';
import { subscriptionId, type NotificationEventType, type OutboxEntry, type Subscription } from './schema.js';

/** Audit actions by which a user subscribes to the project they act on. */
const PROJECT_SUBSCRIBE = new Set(['project.create', 'project.update', 'project.qualification', 'project.reviewers', 'project.step']);
/** Audit actions by which a user subscribes to the item they act on (create, edit, save, review, abandon, cancel, reset, schedule). */
const ITEM_SUBSCRIBE = new Set([
  'item.create',
  'item.update',
  'item.step',
  'signoff.requestFeedback',
  'signoff.requestFinalApproval',
  'signoff.submitFeedback',
  'signoff.editFeedback',
  'signoff.deleteFeedback',
  'signoff.finalApproval',
  'signoff.editFinalApproval',
  'signoff.delegate',
  'signoff.backToFeedback',
  'signoff.abandon',
  'signoff.cancelAbandon',
  'signoff.reset',
  'signoff.scheduleReset',
  'signoff.cancelScheduledReset',
]);

interface SignoffChange {
  ref?: string;
  stepId?: string;
  action?: Record<string, unknown> & { type?: string };
  from?: string;
  to?: string;
  round?: number;
  reviewBefore?: { status?: string };
}

export interface Derived {
  outbox: Omit<OutboxEntry, 'id'>[];
  subscriptions: Subscription[];
}

async function nameOf(r: StoreReader, actor: string, kind: AuditEventInput['actorKind']): Promise<string> {
  if (kind === 'system') return 'signoff';
  if (kind === 'apiKey') return `API key ${(await r.get('apiKeys', actor))?.name ?? actor}`;
  return (await r.get('users', actor))?.displayName ?? actor;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The outbox entries and subscriptions caused by `events` (the transaction's audit events, in
 * order), reading the transaction's own view of the data.
 */
export async function deriveNotifications(tx: StoreReader, events: readonly AuditEventInput[]): Promise<Derived> {
  const out: Derived = { outbox: [], subscriptions: [] };
  const subscribed = new Set<string>();

  const subscribe = async (userId: string, kind: 'item' | 'project', subjectId: string, at: string) => {
    const id = subscriptionId(userId, kind, subjectId);
    if (subscribed.has(id)) return;
    subscribed.add(id);
    // An explicit unsubscription is respected: only a user who never chose is subscribed.
    if (await tx.get('subscriptions', id)) return;
    out.subscriptions.push({ id, userId, subjectKind: kind, subjectId, state: 'subscribed', source: 'auto', at });
  };

  for (const e of events) {
    const [collection, subjectId] = e.subject.split('/', 2) as [string, string | undefined];
    if (subjectId === undefined) continue;
    if (e.actorKind === 'user') {
      if (collection === 'projects' && PROJECT_SUBSCRIBE.has(e.action)) await subscribe(e.actor, 'project', subjectId, e.at);
      if (collection === 'items' && ITEM_SUBSCRIBE.has(e.action) && (await tx.get('items', subjectId))) await subscribe(e.actor, 'item', subjectId, e.at);
    }

    if (collection === 'items') {
      const item = await tx.get('items', subjectId);
      if (!item) continue;
      const project = await tx.get('projects', item.projectId);
      if (!project) continue;
      const entry = await signoffEvent(tx, e, item, project);
      if (entry) out.outbox.push(...entry);
    } else if (collection === 'deployments' && e.action === 'deployment.record') {
      const entry = await deploymentEvent(tx, e);
      if (entry) out.outbox.push(entry);
    }
  }
  return out;
}

async function base(r: StoreReader, e: AuditEventInput, item: Item, project: Project, type: NotificationEventType, summary: string, extra: Partial<OutboxEntry> = {}): Promise<Omit<OutboxEntry, 'id'>> {
  return {
    type,
    at: e.at,
    actor: e.actor,
    actorName: await nameOf(r, e.actor, e.actorKind),
    itemId: item.id,
    projectId: project.id,
    ref: `${project.key}/${item.name}@${item.version}`,
    projectName: project.name,
    summary,
    details: [],
    direct: [],
    subscribers: true,
    status: 'pending',
    ...extra,
  };
}

async function signoffEvent(r: StoreReader, e: AuditEventInput, item: Item, project: Project): Promise<Omit<OutboxEntry, 'id'>[] | undefined> {
  const c = (e.change ?? {}) as SignoffChange;
  const action = c.action ?? {};
  const ref = `${project.key}/${item.name}@${item.version}`;
  const who = await nameOf(r, e.actor, e.actorKind);
  const step = c.stepId !== undefined ? { stepId: c.stepId } : {};
  const comment = str(action.comment);
  const commentDetail: [string, string][] = comment ? [['Comment', comment]] : [];
  const statusDetail: [string, string][] = c.to !== undefined ? [['Sign-off status', c.to]] : [];
  const notify = (Array.isArray(action.notify) ? action.notify : []) as Assignee[];
  const one = async (type: NotificationEventType, summary: string, extra: Partial<OutboxEntry> = {}) => [await base(r, e, item, project, type, summary, { ...step, details: [...statusDetail, ...commentDetail], ...extra })];

  switch (e.action) {
    case 'signoff.requestFeedback':
      return one('feedback.requested', `${who} requests your feedback on ${ref}.`, { direct: notify });
    case 'signoff.requestFinalApproval':
      return one('finalApproval.requested', `${who} requests the final approval of ${ref}.`, { direct: notify });
    case 'signoff.submitFeedback':
      return one('feedback.submitted', `${who} gave feedback "${str(action.status) ?? ''}" on ${ref}.`, { details: [['Review', str(action.status) ?? ''], ['Feedback group', str(action.groupId) ?? ''], ...statusDetail, ...commentDetail] });
    case 'signoff.finalApproval':
      return one('finalApproval.submitted', `${who} gave the final approval "${str(action.status) ?? ''}" on ${ref}.`, { details: [['Final approval', str(action.status) ?? ''], ...statusDetail, ...commentDetail] });
    case 'signoff.editFeedback':
    case 'signoff.editFinalApproval': {
      // Only a changed status is news; a comment-only edit is not.
      const to = str(action.status);
      const from = c.reviewBefore?.status;
      if (to === undefined || to === from) return undefined;
      const what = e.action === 'signoff.editFeedback' ? 'feedback' : 'final approval';
      return one('review.statusEdited', `${who} changed their ${what} on ${ref} from "${from ?? '?'}" to "${to}".`, { details: [['Review', `${from ?? '?'} → ${to}`], ...statusDetail, ...commentDetail] });
    }
    case 'signoff.delegate': {
      const to = str(action.to);
      if (to === undefined) return undefined;
      const delegate = (await r.get('users', to))?.displayName ?? to;
      const scope = str(action.scope) === 'final' ? 'final approval' : `feedback (${str(action.scope) ?? ''})`;
      return one('review.delegated', `${who} delegated the ${scope} review of ${ref} to ${delegate}.`, { direct: [{ kind: 'user', id: to }] });
    }
    case 'signoff.abandon':
      return one('signoff.abandoned', `${who} abandoned the sign-off of ${ref}.`);
    case 'signoff.cancelAbandon':
      return one('signoff.abandonCancelled', `${who} cancelled the abandon of ${ref}: every review is restored.`);
    case 'signoff.reset':
      return one('signoff.reset', `${who} reset the sign-off of ${ref}: round ${c.round ?? '?'} starts.`);
    case 'signoff.expire':
      return c.from === 'Approved'
        ? one('approval.expired', `The approval of ${ref} expired: a new sign-off round starts.`)
        : one('signoff.reset', `The scheduled reset of ${ref} ran: round ${c.round ?? '?'} starts.`);
    case 'signoff.scheduleReset': {
      const when = [str(action.at) ? `on ${str(action.at)}` : '', str(action.every) ? `every ${str(action.every)}` : ''].filter(Boolean).join(' and ');
      return one('signoff.resetScheduled', `${who} scheduled a reset of ${ref} ${when}.`);
    }
    case 'review.reminder': {
      const ch = e.change as { pending?: Assignee[]; stage?: string; requestedAt?: string };
      const what = ch.stage === 'final' ? 'final approval' : 'feedback';
      return one('review.reminder', `Reminder: your ${what} on ${ref} is awaited (requested ${ch.requestedAt ?? ''}).`, { direct: ch.pending ?? [], subscribers: false, details: [['Requested at', ch.requestedAt ?? '']] });
    }
    case 'review.timeout': {
      const ch = e.change as { pending?: Assignee[]; stage?: string; requestedAt?: string; after?: string; timeoutAction?: string; escalateTo?: string };
      const what = ch.stage === 'final' ? 'final approval' : 'feedback';
      const owners: Assignee[] = [{ kind: 'user', id: project.owner }, ...(item.createdBy !== project.owner ? [{ kind: 'user' as const, id: item.createdBy }] : [])];
      const details: [string, string][] = [['Requested at', ch.requestedAt ?? ''], ['Timeout', ch.after ?? ''], ['Action', ch.timeoutAction ?? '']];
      const overdue = await base(r, e, item, project, 'review.overdue', `The ${what} on ${ref} is overdue (no answer within ${ch.after ?? '?'}).`, { ...step, direct: owners, subscribers: false, details });
      if (ch.timeoutAction === 'escalate' && ch.escalateTo !== undefined) {
        const group = (await r.get('groups', ch.escalateTo))?.name ?? ch.escalateTo;
        const escalated = await base(r, e, item, project, 'review.escalated', `The ${what} on ${ref} is overdue: ${group} is asked for feedback.`, { ...step, direct: [{ kind: 'group', id: ch.escalateTo }], subscribers: false, details });
        return [overdue, escalated];
      }
      return [overdue];
    }
    default:
      return undefined;
  }
}

interface DeploymentChange {
  record?: { itemId?: string; itemRef?: string; infrastructureId?: string; outcome?: string; policy?: string; signoffStatus?: string; confirmation?: { reason?: string }; target?: { kind?: string; description?: string; namespace?: string; name?: string } };
  reasons?: unknown;
}

async function deploymentEvent(r: StoreReader, e: AuditEventInput): Promise<Omit<OutboxEntry, 'id'> | undefined> {
  const { record, reasons } = (e.change ?? {}) as DeploymentChange;
  if (!record?.itemId) return undefined;
  const refused = record.outcome === 'deny' && record.policy === 'prevent';
  const confirmed = record.policy === 'warn' && record.confirmation !== undefined;
  if (!refused && !confirmed) return undefined;
  const item = await r.get('items', record.itemId);
  if (!item) return undefined;
  const project = await r.get('projects', item.projectId);
  if (!project) return undefined;
  const ref = `${project.key}/${item.name}@${item.version}`;
  const infra = record.infrastructureId ?? '?';
  const who = await nameOf(r, e.actor, e.actorKind);
  const details: [string, string][] = [
    ['Infrastructure', infra],
    ['Policy', record.policy ?? ''],
    ['Sign-off status', record.signoffStatus ?? ''],
    ...(Array.isArray(reasons) ? reasons.filter((x): x is string => typeof x === 'string').slice(0, 5).map((x): [string, string] => ['Reason', x]) : []),
  ];
  const owner: Assignee[] = [{ kind: 'user', id: project.owner }];
  if (refused) return base(r, e, item, project, 'deployment.refused', `A deployment of ${ref} to ${infra} was refused: it is not approved (policy prevent).`, { details, direct: owner });
  return base(r, e, item, project, 'deployment.confirmed', `${who} confirmed an unapproved deployment of ${ref} to ${infra} (policy warn).`, { details: [...details, ['Reason given', record.confirmation?.reason ?? '']], direct: owner });
}

/** Writes what `deriveNotifications` found into the transaction. */
export function writeDerived(tx: StoreTx, derived: Derived, newId: () => string): void {
  for (const s of derived.subscriptions) tx.put('subscriptions', s);
  for (const entry of derived.outbox) tx.put('outbox', { id: newId(), ...entry });
}
