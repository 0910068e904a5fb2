// A child process for the lowdb store's crash and lock tests. The test bundles this file
// (with the store's TypeScript source) using esbuild and runs it with plain `node`.
//   node child.mjs crash <file> <firstN>   submit reviews in a loop, print "ack <n>" after each acknowledged write
//   node child.mjs hold <file>             open the store, print "ready", wait to be killed
//   node child.mjs open <file>             try to open; print {"ok":true} or {"ok":false,"code","message"}
import { openLowdbStore } from '../lowdb-store.ts';
import { testItem, testProject } from '../test-data.ts';

const [mode, file, first] = process.argv.slice(2);
const ITEMS = 20;

function review(n) {
  const at = new Date(Date.UTC(2026, 2, 1) + n * 1000).toISOString();
  return {
    id: `rev_${n}`,
    groupId: ['it-ops', 'risk', 'business'][n % 3],
    author: `usr_reviewer${n % 7}`,
    authorKind: 'user',
    status: n % 5 === 0 ? 'Minor issues' : 'Approved',
    comment: `review ${n}: checked the artifacts and the rollout plan`,
    createdAt: at,
    updatedAt: at,
  };
}

if (mode === 'crash') {
  // a small compaction threshold, so that kills also land during snapshot rewrites
  const store = await openLowdbStore(file, { compactBytes: 64 * 1024 });
  if ((await store.count('items')) === 0) {
    await store.transaction((tx) => {
      tx.put('projects', testProject(1));
      for (let i = 0; i < ITEMS; i++) tx.put('items', testItem(i, { signoffs: {} }));
      return { ok: true, value: null };
    });
  }
  process.stdout.write('ready\n');
  for (let n = Number(first); ; n++) {
    const id = `itm_${n % ITEMS}`;
    const r = await store.transaction(async (tx) => {
      const item = await tx.get('items', id);
      const signoff = item.signoffs.review ?? { status: 'Waiting for feedback', round: 1, feedback: [], delegations: [], notified: [], updatedAt: review(n).createdAt };
      tx.put('items', { ...item, signoffs: { review: { ...signoff, feedback: [...signoff.feedback, review(n)] } } });
      tx.appendAudit({ at: review(n).createdAt, actor: 'usr_reviewer', actorKind: 'user', action: 'signoff.feedback.submit', subject: `items/${id}`, change: { review: n } });
      return { ok: true, value: n };
    });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    process.stdout.write(`ack ${n}\n`);
  }
} else if (mode === 'hold') {
  await openLowdbStore(file);
  process.stdout.write('ready\n');
  setInterval(() => undefined, 60_000);
} else if (mode === 'open') {
  try {
    const store = await openLowdbStore(file);
    await store.close();
    process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ ok: false, code: e.code, message: e.message })}\n`);
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
