import type { BlockList } from 'net';
import { z } from 'zod';
import { blockListOf, cidrProblem, clientAddress, inBlockList } from '../../specs/waf';
import type { SystemExtension } from '../catalog-types';
import { defineExtension } from '../index';
import { configParser } from './config';
import { refusalBody } from './http';

const MAX_CIDRS = 1024;

/** `10.0.0.0/8`, `2001:db8::/32`, or one address (`203.0.113.7`, `::1`). */
const cidr = z.string({ error: 'must be a CIDR block such as "10.0.0.0/8" or "2001:db8::/32", or one address' }).superRefine((value, issue) => {
  const reason = cidrProblem(value);
  if (reason) issue.addIssue({ code: 'custom', message: reason });
});

const cidrs = z.array(cidr).max(MAX_CIDRS, `must have at most ${MAX_CIDRS} entries`);

const IpRestrictionSchema = z
  .strictObject({
    /** Only clients in these blocks are served (when set and not empty). */
    allow: cidrs.default([]),
    /** Clients in these blocks are refused (before `allow` is checked). */
    deny: cidrs.default([]),
    /** Proxies in front of the gateway (load balancers): from these, the client is read from X-Forwarded-For. */
    trustedProxies: cidrs.default([]),
  })
  .refine((c) => c.allow.length + c.deny.length > 0, 'set allow or deny (or both): with neither, every client is served and the extension does nothing');

/** The `ip-restriction` config as a construct declares it. */
export type IpRestrictionConfig = z.input<typeof IpRestrictionSchema>;
export type ParsedIpRestrictionConfig = z.output<typeof IpRestrictionSchema>;

interface Lists {
  readonly allow: BlockList | undefined;
  readonly deny: BlockList | undefined;
  readonly trusted: BlockList | undefined;
}

/** The block lists of a config, built once per config object (the gateway parses a config once per load). */
const built = new WeakMap<object, Lists>();

function listsOf(config: ParsedIpRestrictionConfig): Lists {
  let lists = built.get(config);
  if (!lists) {
    const of = (entries: readonly string[]) => (entries.length > 0 ? blockListOf(entries) : undefined);
    lists = { allow: of(config.allow), deny: of(config.deny), trusted: of(config.trustedProxies) };
    built.set(config, lists);
  }
  return lists;
}

/**
 * `ip-restriction`: serves only clients whose address is in `allow` (when set) and not in `deny`; refused ones get
 * a 403 `ip_not_allowed` before any other extension runs (hooks run after key auth and the read of the body: an
 * address it refuses has still been authenticated and its body read). Behind a load balancer, list it in `trustedProxies`: the client
 * is then read from X-Forwarded-For, right to left, skipping trusted proxies (entries a client wrote itself, left of
 * them, are never believed).
 *
 * It does not: read `Forwarded` (RFC 7239) or X-Real-IP; trust X-Forwarded-For from a peer not listed in
 * `trustedProxies`; or resolve host names (addresses and CIDR blocks only).
 */
export const ipRestriction = defineExtension<ParsedIpRestrictionConfig>({
  name: 'ip-restriction',
  parseConfig: configParser('ip-restriction', IpRestrictionSchema),

  onRequest(ctx) {
    const lists = listsOf(ctx.config);
    const client = clientAddress(ctx.request.remoteAddress, ctx.request.headers['x-forwarded-for'], lists.trusted);
    const refused = inBlockList(lists.deny, client) || (lists.allow !== undefined && !inBlockList(lists.allow, client));
    if (!refused) return;
    ctx.log.info('ip-restriction: client refused', { client: client || '(not an address)' });
    const message = `This client's address is not allowed on this route (${ctx.extension}). Ask the gateway's operator to allow it.`;
    return ctx.respond(403, refusalBody(ctx.route, ctx.request.path, 'permission_error', 'ip_not_allowed', message));
  },
});

export const IP_RESTRICTION: SystemExtension = {
  definition: ipRestriction,
  description: 'Allows or denies clients by CIDR block, reading X-Forwarded-For only from trusted proxies.',
  phase: 'authn',
  // High: first of the hooks, so that a refused address is turned away before the other extensions spend work on it.
  priority: 1000,
  failPolicy: 'closed',
};
