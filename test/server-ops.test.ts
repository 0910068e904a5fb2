/**
 * Operations endpoints and shutdown over real HTTP on port 0: /healthz, /readyz, the
 * Prometheus metrics the issue names (requests by route and status, latency histogram,
 * decisions by outcome and policy, sign-off transitions), and a graceful stop that lets a
 * request in flight finish.
 */
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignoffClient } from '@signoff/core';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from './support/server-harness.js';

const DEMO_KEY = 'demo-api-key-for-server-ops-test';

describe('server operations', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ config: { demo: true, demoPassword: ADMIN_PASSWORD, demoApiKey: DEMO_KEY } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers /healthz and /readyz', async () => {
    const health = await t.request('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'ok' });
    const ready = await t.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ status: 'ready' });
  });

  it('counts requests by route template and status, decisions by outcome and policy, and sign-off transitions', async () => {
    const deployer = new SignoffClient({ baseUrl: t.url, apiKey: DEMO_KEY });
    const v1 = [`registry.example.com/shop/web@sha256:${'1'.repeat(64)}`];
    for (const infrastructure of ['development', 'production', 'production']) {
      const r = await deployer.decide({ infrastructure, item: 'shop/web-bundle@v1', artifacts: v1, dryRun: true });
      expect(r.ok).toBe(true);
    }
    const olivia = t.client(await t.login('olivia', ADMIN_PASSWORD));
    const item = await olivia.getItem('fraud/fraud-model@3');
    expect(item.ok).toBe(true);
    // Back to feedback is a transition the owner may not take here: only successes are counted.
    const fiona = t.client(await t.login('fiona', ADMIN_PASSWORD));
    expect((await fiona.backToFeedback(item.ok ? item.value.id : '')).ok).toBe(true);
    await t.request('GET', '/api/v1/items/itm_doesnotexist', { auth: t.admin });

    const metrics = await t.request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = metrics.text;
    expect(text).toMatch(/^signoff_decisions_total\{outcome="allow",policy="always"\} 1$/m);
    expect(text).toMatch(/^signoff_decisions_total\{outcome="deny",policy="prevent"\} 2$/m);
    expect(text).toMatch(/^signoff_http_requests_total\{method="POST",route="\/api\/v1\/decisions",status="200"\} 3$/m);
    expect(text).toMatch(/^signoff_http_requests_total\{method="GET",route="\/api\/v1\/items\/:id",status="404"\} 1$/m);
    expect(text).toMatch(/^signoff_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/decisions",status="200"\} 3$/m);
    expect(text).toMatch(/^signoff_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/api\/v1\/decisions",status="200"\} \d+$/m);
    expect(text).toMatch(/^signoff_signoff_transitions_total\{action="backToFeedback"\} 1$/m);
    // Raw paths never become labels.
    expect(text).not.toContain('itm_doesnotexist');
  });

  it('stops gracefully: a request in flight is answered, then the server closes', async () => {
    // A keep-alive client and a long drain: the server closes the connection itself once the
    // answer is out rather than waiting out the drain time (60 s, beyond the test's timeout).
    const own = await startTestServer({ drainMs: 60_000 });
    const agent = new Agent({ keepAlive: true });
    expect((await own.request('POST', '/api/v1/infrastructures', { auth: own.admin, body: { id: 'dev', name: 'Dev', policy: 'always' } })).status).toBe(201);
    const key = await own.apiKey('drain', ['decisions:read']);
    const body = JSON.stringify({ infrastructure: 'dev', artifacts: [`registry.example.com/x@sha256:${'a'.repeat(64)}`], dryRun: true });
    let closing: Promise<void> | undefined;
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(`${own.url}/api/v1/decisions`, {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${key.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      // Half the body now; the rest once the server has the request and has begun to stop.
      own.running.server.once('request', () => {
        closing = own.close();
        setTimeout(() => req.end(body.slice(10)), 100);
      });
      req.write(body.slice(0, 10));
    });
    const { status, text } = await answer;
    expect(status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ decision: { outcome: 'allow' } });
    const drainStarted = performance.now();
    await closing;
    // Closed once the answer was out, not at the 60 s drain limit.
    expect(performance.now() - drainStarted).toBeLessThan(30_000);
    agent.destroy();
    await expect(fetch(`${own.url}/healthz`)).rejects.toThrow();
  });
});
