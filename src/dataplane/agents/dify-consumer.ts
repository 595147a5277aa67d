import type { NativeAgentRequest } from './native-request';
import { difyUser } from './protocol';

/**
 * Moves a Dify `user` from one caller's namespace to another's, keeping what follows it (the client's part, under
 * `userMapping: client`); a user outside the old namespace is left as it is.
 */
export function difyUserMover(from: string | undefined, to: string): (user: string) => string {
  // The namespace does not depend on the route's mapping: only what follows it does.
  const oldBase = difyUser({}, from, undefined);
  const newBase = difyUser({}, to, undefined);
  return (user) => (user === oldBase || user.startsWith(`${oldBase}:`) ? `${newBase}${user.slice(oldBase.length)}` : user);
}

/**
 * A Dify request read for one caller, made the request of another consumer: its `user` (JSON body, query and
 * upload field) moved by `move`. For key-auth's `ctx.authenticate`, which identifies the consumer after the read
 * stage set the `user`: without this, every consumer key-auth admits on a route without built-in key auth would
 * share `aigw:anonymous`, and read each other's conversations.
 */
export function difyRequestOf(request: NativeAgentRequest, move: (user: string) => string): NativeAgentRequest {
  if (request.protocol !== 'dify') return request;
  const upload = request.upload;
  return {
    ...request,
    target: movedTarget(request.target, move),
    body: request.body && movedBody(request.body, move),
    upload: upload && ((clientUser) => move(upload(clientUser))),
  };
}

function movedTarget(target: string, move: (user: string) => string): string {
  const q = target.indexOf('?');
  if (q < 0) return target;
  const query = new URLSearchParams(target.slice(q + 1));
  const user = query.get('user');
  if (user === null) return target;
  query.set('user', move(user));
  return `${target.slice(0, q)}?${query.toString()}`;
}

function movedBody(body: Buffer, move: (user: string) => string): Buffer {
  // The read stage wrote this body: a JSON object whose `user` is the gateway's.
  const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  if (typeof json.user !== 'string') return body;
  json.user = move(json.user);
  return Buffer.from(JSON.stringify(json));
}
