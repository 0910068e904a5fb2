/**
 * Every write route of the API, fed random and malformed bodies by fast-check: each answer is
 * a 4xx problem document (never a 5xx), and the lowdb data file is byte-identical afterwards.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { apiRouteList, pathFor, ProblemDocument, type ApiRoute } from '@signoff/core';
import { seedWorld, type World } from './support/server-world.js';
import { startTestServer, tempDir, type TestServer } from './support/server-harness.js';

const writeRoutes = apiRouteList.filter((r) => r.method !== 'GET');
const RUNS = Number(process.env.SIGNOFF_FUZZ_RUNS ?? 25);

/** Objects with the body's own keys and random values: they get past "unknown key" and reach deeper checks. */
function shapedObject(route: ApiRoute): fc.Arbitrary<unknown> {
  if (!route.body) return fc.object();
  const json = z.toJSONSchema(route.body, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> };
  const keys = Object.keys(json.properties ?? {});
  if (keys.length === 0) return fc.object();
  return fc.dictionary(fc.constantFrom(...keys), fc.oneof(fc.anything(), fc.string(), fc.integer(), fc.array(fc.anything())), { minKeys: 1 });
}

/** A body the route's schema rejects, as JSON text. */
function invalidJsonBody(route: ApiRoute): fc.Arbitrary<string> {
  return fc
    .oneof(fc.anything(), fc.object(), shapedObject(route), fc.array(fc.anything()))
    .map((value) => JSON.stringify(value) ?? 'null')
    // Judged after the JSON round trip: `{ a: undefined }` is sent as `{}`.
    .filter((text) => route.body === undefined || !route.body.safeParse(JSON.parse(text)).success);
}

/**
 * Text that is not a JSON object the route accepts: broken JSON, primitives, garbage. (An empty
 * body is not among them: it stands for `{}`, which routes with all-optional bodies accept.)
 */
const malformedText = (route: ApiRoute): fc.Arbitrary<string> =>
  fc
    .oneof(
      fc.string(),
      fc.constantFrom('{', '{"a":', '[1,2', '{"key": "x",}', 'null', 'true', '"text"', '\u0000', '{"__proto__": {"admin": true}}', '{"constructor": {"prototype": {}}}'),
      fc.string().map((s) => `{"${s}`),
    )
    .filter((text) => {
      if (text.length === 0) return false;
      try {
        return route.body === undefined || !route.body.safeParse(JSON.parse(text)).success;
      } catch {
        return true;
      }
    });

describe('write routes under random and malformed bodies', () => {
  const tmp = tempDir('signoff-fuzz-');
  const dataFile = join(tmp.dir, 'signoff.json');
  let t: TestServer;
  let world: World;
  /** The lowdb file and its journal, byte for byte. */
  const snapshot = () => [dataFile, `${dataFile}.journal`].map((f) => (existsSync(f) ? readFileSync(f).toString('base64') : '-')).join('|');

  beforeAll(async () => {
    t = await startTestServer({ store: undefined, config: { data: dataFile } });
    world = await seedWorld(t);
  });
  afterAll(async () => {
    await t.close();
    tmp.remove();
  });

  it('covers every write route of the route table', () => {
    expect(writeRoutes.length).toBeGreaterThan(30);
    for (const route of writeRoutes) expect(world.paramsFor(route), route.operationId).toBeDefined();
  });

  for (const route of writeRoutes) {
    it(`${route.operationId}: ${route.method} ${route.path} answers 4xx problems and changes nothing`, async () => {
      const before = snapshot();
      const path = pathFor(route.path, world.paramsFor(route));
      const send = async (text: string | undefined, contentType = 'application/json', target = path) => {
        const answer = await t.request(route.method, target, {
          auth: t.admin,
          ...(text !== undefined ? { rawBody: text, headers: { 'content-type': contentType } } : {}),
        });
        expect(answer.status, `${route.method} ${target} ${String(text).slice(0, 200)} → ${answer.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(ProblemDocument.safeParse(answer.json).success, answer.text).toBe(true);
      };

      if (route.body) {
        await fc.assert(fc.asyncProperty(invalidJsonBody(route), (text) => send(text)), { numRuns: RUNS });
        await fc.assert(fc.asyncProperty(malformedText(route), (text) => send(text)), { numRuns: RUNS });
        await fc.assert(
          fc.asyncProperty(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml'), fc.string({ minLength: 1 }), (type, text) => send(text, type)),
          { numRuns: Math.ceil(RUNS / 4) },
        );
      }
      // Hostile path parameters: never a 5xx, never a change.
      if (route.params) {
        const names = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
        await fc.assert(
          fc.asyncProperty(fc.string({ minLength: 1, maxLength: 400 }), fc.constantFrom(...names), async (value, name) => {
            const target = pathFor(route.path, { ...world.paramsFor(route), [name]: `zz-${value}` });
            await send(route.body ? '{"not": "valid"}' : undefined, 'application/json', target);
          }),
          { numRuns: Math.ceil(RUNS / 2) },
        );
      }
      expect(snapshot() === before, `${route.operationId} changed the data file or its journal`).toBe(true);
    });
  }
});
