import type { Decision, GovernanceStatus, Infrastructure, Item } from '@signoff/core';

type Cell = string | { data: string; header?: boolean };
type Row = Cell[];

/** The subset of `core.summary` we use, so the layout can be unit-tested without files. */
export interface SummaryWriter {
  addHeading(text: string, level?: number): SummaryWriter;
  addTable(rows: Row[]): SummaryWriter;
  addList(items: string[]): SummaryWriter;
  addRaw(text: string, addEOL?: boolean): SummaryWriter;
  addLink(text: string, href: string): SummaryWriter;
  addBreak(): SummaryWriter;
}

export interface GateSummary {
  decision?: Decision;
  item?: Item;
  status?: GovernanceStatus;
  infrastructure?: Pick<Infrastructure, 'id' | 'policy'> | { id: string; policy?: string };
  digests: string[];
  headline: string;
  details: string[];
  deploymentId?: string;
  dryRun: boolean;
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
const code = (s: string): string => `<code>${esc(s)}</code>`;

export function writeGateSummary(w: SummaryWriter, s: GateSummary): void {
  const d = s.decision;
  w.addHeading(`signoff: ${d ? d.outcome : 'no decision'}${s.dryRun ? ' (dry run)' : ''}`, 2);
  w.addRaw(`<p>${esc(s.headline)}</p>`, true);
  // What this job deploys, each with whether the approval covers it; else the item's own digests.
  const digests = d?.artifacts.length
    ? d.artifacts.map((a) => `${code(a.artifact)} ${a.covered ? '✓ approved' : a.key === undefined ? '✗ not pinned by digest' : '✗ not approved'}`)
    : (s.digests.length ? s.digests : (s.item?.digests ?? [])).map(code);
  const ref = d?.item?.ref ?? s.status?.ref;
  const rows: Row[] = [
    [{ data: 'Item', header: true }, ref ? code(ref) : 'not matched'],
    [{ data: 'Version', header: true }, s.item ? esc(s.item.version) : ref?.split('@')[1] ? esc(ref.split('@')[1] ?? '') : '—'],
    [{ data: 'Digests', header: true }, digests.length ? digests.join('<br>') : '—'],
    [{ data: 'Infrastructure', header: true }, s.infrastructure ? code(s.infrastructure.id) : d ? code(d.infrastructureId) : '—'],
    [{ data: 'Policy', header: true }, esc(d?.policy ?? s.infrastructure?.policy ?? 'unknown')],
    [{ data: 'Sign-off status', header: true }, esc(d?.signoffStatus ?? s.status?.signoffStatus ?? 'unknown')],
    [{ data: 'Decision', header: true }, d ? `<strong>${esc(d.outcome)}</strong>${d.confirmed ? ' (confirmed)' : ''}` : 'none'],
  ];
  if (s.deploymentId) rows.push([{ data: 'Deployment', header: true }, code(s.deploymentId)]);
  if (d?.reviewUrl) rows.push([{ data: 'Review', header: true }, `<a href="${esc(d.reviewUrl)}">${esc(d.reviewUrl)}</a>`]);
  w.addTable(rows);
  if (s.details.length) {
    w.addHeading('Reasons', 3);
    w.addList(s.details.map(esc));
  }
  if (s.status) {
    w.addHeading('Reviews', 3);
    const reviewRows: Row[] = [[{ data: 'Group', header: true }, { data: 'Reviewer', header: true }, { data: 'Status', header: true }, { data: 'When', header: true }]];
    for (const r of s.status.reviews) reviewRows.push([esc(r.groupName), esc(r.author), esc(r.status), esc(r.at)]);
    if (s.status.finalApproval) {
      const f = s.status.finalApproval;
      reviewRows.push(['Final approval', esc(f.author), esc(f.status), esc(f.at)]);
    }
    if (reviewRows.length === 1) w.addRaw('<p>No reviews yet.</p>', true);
    else w.addTable(reviewRows);
  }
}

export function writeRegisterSummary(w: SummaryWriter, item: Item, ref: string, reviewUrl: string, status: string, already: boolean): void {
  w.addHeading(`signoff: ${already ? 'already registered' : 'registered'} ${ref}`, 2);
  w.addTable([
    [{ data: 'Item', header: true }, code(ref)],
    [{ data: 'Id', header: true }, code(item.id)],
    [{ data: 'Version', header: true }, esc(item.version)],
    [{ data: 'Importance', header: true }, esc(item.importance)],
    [{ data: 'Digests', header: true }, item.digests.map(code).join('<br>') || '—'],
    [{ data: 'Sign-off status', header: true }, esc(status)],
    [{ data: 'Review', header: true }, `<a href="${esc(reviewUrl)}">${esc(reviewUrl)}</a>`],
  ]);
}

/** The pull request comment: the same facts in Markdown. */
export function commentBody(s: GateSummary, runUrl: string | undefined): string {
  const d = s.decision;
  const icon = !d ? '❔' : d.outcome === 'deny' ? '⛔' : d.outcome === 'warn' ? '⚠️' : d.approved ? '✅' : 'ℹ️';
  const lines = [
    `### ${icon} signoff: ${d ? d.outcome : 'no decision'} for \`${d?.infrastructureId ?? s.infrastructure?.id ?? '?'}\``,
    '',
    s.headline,
    '',
    `| | |`,
    `|---|---|`,
    `| Item | ${d?.item?.ref ? `\`${d.item.ref}\`` : 'not matched'} |`,
    `| Policy | ${d?.policy ?? s.infrastructure?.policy ?? 'unknown'} |`,
    `| Sign-off status | ${d?.signoffStatus ?? 'unknown'} |`,
  ];
  if (d?.reviewUrl) lines.push(`| Review | ${d.reviewUrl} |`);
  if (s.details.length) lines.push('', ...s.details.map((r) => `- ${r}`));
  if (runUrl) lines.push('', `_Updated by [this run](${runUrl})._`);
  return lines.join('\n');
}
