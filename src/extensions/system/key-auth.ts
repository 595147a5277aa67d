import { z } from 'zod';
import type { SystemExtension } from '../catalog-types';
import { defineExtension } from '../index';
import type { RequestHookContext } from '../types';
import { configParser } from './config';
import { CREDENTIAL_HEADERS, FRAMING_HEADERS, HEADER_NAME, refusalBody } from './http';

const MAX_KEYS = 16;
const MAX_KEY_NAME_CHARS = 128;
const MAX_NAMES = 1024;
/** The gateway's own rule for consumer and route names (specs/config.ts `refName`): a name that breaks it can match nothing. */
const REF_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/;
const MAX_REF_NAME_CHARS = 253;

/** `authorization` in `keys`: the header's `Bearer <key>`, as the built-in key auth reads it. */
const BEARER = 'authorization';
/** Headers that carry something else: a key there would be read from the message's framing, a cookie jar or the host. */
const NOT_KEY_HEADERS = new Set([...FRAMING_HEADERS, 'host', 'cookie', 'content-type', 'accept']);

const keyName = z
  .string({ error: 'must be a header or query parameter name such as "x-api-key"' })
  .min(1, 'must not be empty (write a name such as "x-api-key")')
  .max(MAX_KEY_NAME_CHARS, `must be at most ${MAX_KEY_NAME_CHARS} characters`)
  .regex(HEADER_NAME, "must be a header or query parameter name: letters, digits and !#$%&'*+-.^_`|~ only (no spaces, ':' or '=')")
  .refine((name) => !NOT_KEY_HEADERS.has(name.toLowerCase()), 'must not be a header that carries something else (host, cookie, content-type, accept, framing headers): name the header or parameter the key comes in');

/** A consumer or route name, as the gateway's config writes them. */
const refName = (what: string) =>
  z
    .string({ error: `must be a ${what} name` })
    .min(1, `must not be empty (write a ${what} name)`)
    .max(MAX_REF_NAME_CHARS, `must be at most ${MAX_REF_NAME_CHARS} characters`)
    .regex(REF_NAME, `must be a ${what} name: it starts with a letter or digit and uses only A-Z a-z 0-9 . _ : / @ -`);

/** A list of names, each once; when set, not empty (omitting it is how to say "all"). */
const nameList = (item: z.ZodString, omitted: string) =>
  z
    .array(item)
    .min(1, `must not be empty: omit it to ${omitted}`)
    .max(MAX_NAMES, `must have at most ${MAX_NAMES} entries`)
    .refine((names) => new Set(names).size === names.length, 'must not list a name twice')
    .optional();

const KeyAuthSchema = z
  .strictObject({
    /**
     * Where the key is looked for, in this order (the first one present is used): header names when `inHeader`,
     * query parameter names when `inQuery`. `authorization` is the header's `Bearer <key>`; any other header's
     * whole value is the key. Header names are matched whatever their case, query names exactly.
     */
    keys: z
      .array(keyName)
      .min(1, 'must name at least one header or query parameter (e.g. ["authorization", "x-api-key"])')
      .max(MAX_KEYS, `must have at most ${MAX_KEYS} entries`)
      .refine((names) => new Set(names.map((n) => n.toLowerCase())).size === names.length, 'must not list a name twice (header names are compared whatever their case)')
      .default([BEARER, 'x-api-key']),
    /** Whether the `keys` are looked for among the request's headers. */
    inHeader: z.boolean().default(true),
    /** Whether the `keys` are looked for among the query's parameters (never on agent routes, which forward their query). */
    inQuery: z.boolean().default(false),
    /** The consumers admitted. @default - every consumer of the gateway */
    allow: nameList(refName('consumer'), 'admit every consumer of the gateway'),
    /** The routes and MCP servers it guards; others pass untouched. @default - every route */
    routes: nameList(refName('route or MCP server'), 'guard every route'),
  })
  .refine((c) => c.inHeader || c.inQuery, {
    message: 'set inHeader or inQuery (or both) to true: with neither, no key can ever be found and every request is refused',
    path: ['inHeader'],
  });

/** The `key-auth` config as a construct declares it. */
export type KeyAuthConfig = z.input<typeof KeyAuthSchema>;
export type ParsedKeyAuthConfig = z.output<typeof KeyAuthSchema>;

/** What a config means at request time, computed once per config object (the gateway parses a config once per load). */
interface Plan {
  readonly headers: readonly string[];
  readonly queries: readonly string[];
  /** The key headers a request must lose before it goes on: all but the credential headers, which the gateway never forwards. */
  readonly removed: readonly string[];
  readonly allow: ReadonlySet<string> | undefined;
  readonly routes: ReadonlySet<string> | undefined;
  /** Where the key goes, for the 401's message: `"Authorization: Bearer <key>" or "x-team-key: <key>"`. */
  readonly inHeaders: string;
  readonly inQuery: string;
}

const plans = new WeakMap<object, Plan>();

function planOf(config: ParsedKeyAuthConfig): Plan {
  let plan = plans.get(config);
  if (plan) return plan;
  const headers = config.inHeader ? config.keys.map((k) => k.toLowerCase()) : [];
  const queries = config.inQuery ? config.keys : [];
  plan = {
    headers,
    queries,
    removed: headers.filter((h) => !CREDENTIAL_HEADERS.includes(h)),
    allow: config.allow && new Set(config.allow),
    routes: config.routes && new Set(config.routes),
    inHeaders: headers.map((h) => (h === BEARER ? '"Authorization: Bearer <key>"' : `"${h}: <key>"`)).join(' or '),
    inQuery: queries.map((q) => `the query parameter "${q}"`).join(' or '),
  };
  plans.set(config, plan);
  return plan;
}

/** The key in header `name`: the Bearer token of `authorization`, the whole value of any other; undefined when absent or empty. */
function headerKey(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  if (name === BEARER) return /^bearer /i.test(value) ? value.slice(7).trim() || undefined : undefined;
  return value.trim() || undefined;
}

/** The last value of query parameter `name` (as the admin API reads repeated ones); undefined when absent or empty. */
function queryKey(query: string, name: string): string | undefined {
  if (query.length <= 1) return undefined;
  return new URLSearchParams(query.slice(1)).getAll(name).at(-1)?.trim() || undefined;
}

/**
 * The first key present, header by header then (not on agent routes) parameter by parameter. An agent route
 * forwards the client's query to the agent: a key there would reach it, so it is not read (the 401 says why).
 */
function findKey(ctx: RequestHookContext<ParsedKeyAuthConfig>, plan: Plan): string | undefined {
  for (const name of plan.headers) {
    const key = headerKey(ctx.request.headers, name);
    if (key !== undefined) return key;
  }
  if (ctx.route.kind === 'agent') return undefined;
  for (const name of plan.queries) {
    const key = queryKey(ctx.request.query, name);
    if (key !== undefined) return key;
  }
  return undefined;
}

/** The 401's advice: where this extension reads a key on this route. */
function whereToSend(plan: Plan, agent: boolean): string {
  if (!agent) return `Send it as ${[plan.inHeaders, plan.inQuery].filter(Boolean).join(' or ')}.`;
  const notQuery = 'a key in the query is not read on an agent route, which forwards its query to the agent';
  if (!plan.inHeaders) return `This extension reads keys from the query only, and ${notQuery}: the gateway's owner must set inHeader to accept keys in headers.`;
  return `Send it as ${plan.inHeaders}${plan.inQuery ? ` (${notQuery})` : ''}.`;
}

/** A route as messages name it: `route 'chat'`, `MCP server 'tools'`. */
function routeLabel(route: RequestHookContext['route']): string {
  return route.kind === 'mcp' ? `MCP server '${route.name}'` : `route '${route.name}'`;
}

/** A refusal in the client's protocol (refusalBody). */
function refuse(ctx: RequestHookContext<ParsedKeyAuthConfig>, status: 401 | 403, code: string, message: string) {
  return ctx.respond(status, refusalBody(ctx.route, ctx.request.path, status === 401 ? 'authentication_error' : 'permission_error', code, message));
}

/**
 * `key-auth`: the consumer key auth of the gateway, on the hook API. On the routes it guards (`routes`, else all),
 * a request must carry a consumer's API key in one of the places `keys` names (headers when `inHeader`, query
 * parameters when `inQuery`): without one it gets a 401 `missing_api_key`, with a key no consumer has a 401
 * `invalid_api_key`, and a consumer not in `allow` (when set) a 403 `consumer_not_allowed`. The request is then the
 * consumer's (`ctx.authenticate`): its per-consumer limits, metrics, access line and later hooks' `ctx.consumer`.
 * A caller the built-in key auth already identified (a consumer's key as `Authorization: Bearer` or `x-api-key`)
 * is that consumer, whatever `keys` says. Headers that carried a key are removed before the request goes on, so
 * that no upstream gets one.
 *
 * It does not: check the gateway's grants (the built-in key auth does, on routes where it is on: `allow` is this
 * extension's own list); remove a key from the query (model routes and MCP servers send none of the client's query
 * upstream but the few parameters a stored Response's call takes, which refuse any other with a 400, and agent
 * routes, which forward it, never read a key from it); guard `GET /v1/models` (answered before any extension runs:
 * it lists model names, under the built-in key auth's rules); or read cookies.
 */
export const keyAuth = defineExtension<ParsedKeyAuthConfig>({
  name: 'key-auth',
  parseConfig: configParser('key-auth', KeyAuthSchema),

  onRequest(ctx) {
    const plan = planOf(ctx.config);
    const route = ctx.route;
    if (plan.routes && !plan.routes.has(route.name)) return undefined;
    let consumer = ctx.consumer;
    if (consumer === undefined) {
      const key = findKey(ctx, plan);
      if (key === undefined) return refuse(ctx, 401, 'missing_api_key', `No API key provided for ${routeLabel(route)}. ${whereToSend(plan, route.kind === 'agent')}`);
      consumer = ctx.authenticate(key);
      // The key is never logged nor echoed: only that one was refused.
      if (consumer === undefined) return refuse(ctx, 401, 'invalid_api_key', 'The API key is not valid for this gateway. Check the key, or ask for one.');
    }
    for (const name of plan.removed) delete ctx.request.headers[name];
    if (plan.allow && !plan.allow.has(consumer)) {
      ctx.log.info('key-auth: consumer not allowed', { consumer, route: route.name });
      return refuse(
        ctx,
        403,
        'consumer_not_allowed',
        `Consumer '${consumer}' is not allowed on ${routeLabel(route)} (extension '${ctx.extension}'). Ask the gateway's owner to add it to the extension's allow list.`,
      );
    }
    return undefined;
  },
});

export const KEY_AUTH: SystemExtension = {
  definition: keyAuth,
  description: "Consumer API keys in headers or query parameters, checked against the gateway's consumers; an allow list of consumers per extension.",
  phase: 'authn',
  // Below ip-restriction (1000): an address refused there is turned away before a key is looked up.
  priority: 900,
  failPolicy: 'closed',
};
