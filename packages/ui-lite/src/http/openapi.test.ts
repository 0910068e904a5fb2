import { describe, expect, it } from 'vitest';
import { apiRouteList } from '@signoff/core';
import { buildOpenApi } from './openapi.js';

describe('buildOpenApi', () => {
  const doc = buildOpenApi({ serverUrl: 'https://signoff.example.com' }) as {
    openapi: string;
    paths: Record<string, Record<string, { operationId: string; requestBody?: unknown; parameters: { name: string; in: string }[]; responses: Record<string, unknown> }>>;
    components: { schemas: Record<string, unknown> };
  };

  it('is OpenAPI 3.1 with one operation per route of the route table', () => {
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.values(doc.paths).flatMap((methods) => Object.values(methods).map((o) => o.operationId));
    for (const route of apiRouteList) expect(ops).toContain(route.operationId);
    expect(new Set(ops).size).toBe(ops.length);
  });

  it('writes path parameters in OpenAPI form, with their schemas', () => {
    const op = doc.paths['/api/v1/items/{id}/signoff/feedback/{reviewId}']?.patch;
    expect(op?.parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(['id', 'reviewId']);
    expect(op?.parameters.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(['stepId']);
  });

  it('describes bodies and problem answers from the zod schemas', () => {
    const create = doc.paths['/api/v1/projects']?.post;
    const schema = (create?.requestBody as { content: Record<string, { schema: { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean } }> }).content['application/json']!.schema;
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['key', 'name', 'owner']));
    expect(schema.required).toEqual(expect.arrayContaining(['key', 'name']));
    expect(schema.additionalProperties).toBe(false);
    expect(create?.responses['201']).toBeDefined();
    expect(create?.responses['401']).toBeDefined();
    expect(doc.components.schemas.ProblemDocument).toMatchObject({ type: 'object' });
  });
});
