import { z } from 'zod';
import { apiRouteList, LoginInput, PrincipalResponse, ProblemDocument, type ApiRoute } from '@signoff/core';

type JsonSchema = Record<string, unknown>;

/** Routes the server adds beside core's table (sign-out and "who am I" for browser sessions). */
export const sessionRoutesForSpec: Pick<ApiRoute, 'operationId' | 'method' | 'path' | 'summary' | 'tag' | 'auth' | 'scopes' | 'response' | 'successStatus'>[] = [
  {
    operationId: 'getSession',
    method: 'GET',
    path: '/api/v1/session',
    summary: 'The browser session: its principal and its CSRF token',
    tag: 'auth',
    auth: 'authenticated',
    scopes: [],
    response: z.object({ csrfToken: z.string() }).and(PrincipalResponse),
    successStatus: 200,
  },
  {
    operationId: 'logout',
    method: 'DELETE',
    path: '/api/v1/session',
    summary: 'End the browser session',
    tag: 'auth',
    auth: 'public',
    scopes: [],
    response: z.null(),
    successStatus: 200,
  },
];

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

const problemRef = { $ref: '#/components/schemas/ProblemDocument' };
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemRef } } });

function parametersFrom(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = toSchema(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: s,
  }));
}

/**
 * The OpenAPI 3.1 document of the API, generated from core's route table and its zod
 * schemas (`z.toJSONSchema`): there is no hand-written spec to drift from the code.
 */
export function buildOpenApi(options: { serverUrl?: string; version?: string; routes?: readonly ApiRoute[] } = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const routes = [...(options.routes ?? apiRouteList), ...sessionRoutesForSpec] as ApiRoute[];
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const responses: Record<string, unknown> = {
      [String(route.successStatus)]: {
        description: 'Success',
        content: { 'application/json': { schema: toSchema(route.response, 'output') } },
      },
      '400': problem('Invalid request: the problem names the offending fields'),
    };
    if (route.auth === 'authenticated') {
      responses['401'] = problem('No valid session, SSO identity or API key');
      responses['403'] = problem('Authenticated, but not allowed (role, assignment, separation of duties, API key scope)');
    }
    if (route.params) responses['404'] = problem('Not found');
    if (route.method !== 'GET') responses['409'] = problem('Not possible in the current state');
    if (route.body) {
      responses['413'] = problem('Body larger than 1 MiB');
      responses['415'] = problem('Body is not JSON');
    }
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      parameters: [...parametersFrom(route.params, 'path'), ...parametersFrom(route.query, 'query')],
      responses,
      security: route.auth === 'public' ? [] : [{ bearerAuth: [] }, { sessionCookie: [] }],
      'x-api-key-scopes': route.scopes,
    };
    if (route.body) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: toSchema(route.body, 'input') } },
      };
    }
    if (route.operationId === 'login') operation.requestBody = { required: true, content: { 'application/json': { schema: toSchema(LoginInput, 'input') } } };
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'signoff governance API',
      version: options.version ?? '1',
      description:
        'Governed projects, bundles and model versions, their sign-offs, infrastructures and deployment decisions. ' +
        'Errors are RFC 9457 problem documents with a stable `code`.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths,
    components: {
      schemas: { ProblemDocument: toSchema(ProblemDocument, 'output') },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'API key `sk_<prefix>_<secret>`' },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'signoff_session',
          description: 'Browser session from POST /api/v1/session; state-changing requests also need the x-csrf-token header',
        },
      },
    },
  };
}
