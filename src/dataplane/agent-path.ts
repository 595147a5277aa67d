import type { AgentRouteConfig } from '../specs';
import { Errors } from './errors';

/**
 * Which upstream path an agent route's request may reach, compiled once per route at config load.
 * The client's path is normalized the way an upstream (or a proxy in front of it) might read it,
 * and refused with 400 if that reading would leave the route's prefix or the pinned application.
 */
export interface AgentPaths {
  /** The path beneath the upstream's base path (`/chat-messages`, `/apps/app-1/completion`); throws a 400 GatewayError. */
  upstreamPath(path: string): string;
}

/**
 * Refused outright, whatever they would resolve to: a backslash (read as `/` by some servers), an
 * encoded `/`, `\` or NUL, an encoded dot, slash or backslash encoded more than once (`%252e`):
 * an upstream that decodes twice would see `..`; a `#` (a WHATWG URL parser reads `..#` as `..`);
 * overlong UTF-8 (`%c0%ae` is `.` to a lenient decoder) and IIS's `%u002e`. A single `%2e` is
 * decoded and resolved below.
 */
const AMBIGUOUS = /[\\#]|%(?:25)*(?:2f|5c|00)|%(?:25)+2e|%c[01]|%e0%[89]|%f0%8|%u[0-9a-f]{4}/i;
/** A segment of dots and blanks that is not exactly `.` or `..` (`..%20`, `...`): some servers trim it to `..`. */
const DOT_LIKE = /^(?:\.|%20|%09|\s)*\.(?:\.|%20|%09|\s)*$/i;
/** `..;x` / `.;x`: a dot-segment with a path parameter, which servlet containers read as `..`. */
const DOT_WITH_PARAMS = /^\.\.?;/;
/** Only paths with one of these need the slow path; everything else is already normal. */
const MAY_NEED_WORK = /[%\\#]|\/\./;

export function compileAgentPaths(route: AgentRouteConfig): AgentPaths {
  const prefix = route.match.pathPrefix === '/' ? '' : route.match.pathPrefix.replace(/\/$/, '');
  // Model Studio applications answer one call: POST {base}/apps/{appId}/completion (DashScope's app API).
  const pinned = route.kind === 'model-studio' && route.appId ? `/apps/${encodeURIComponent(route.appId)}/completion` : undefined;
  const refuse = (path: string, reason: string) => Errors.pathNotAllowed(route.name, path, reason);
  return {
    upstreamPath: (path) => {
      const normal = MAY_NEED_WORK.test(path) ? normalize(path, refuse) : path;
      if (prefix !== '' && normal !== prefix && !normal.startsWith(`${prefix}/`)) throw refuse(path, `it resolves to '${normal.slice(0, 200)}', outside the route's prefix '${prefix}'`);
      const rest = normal.slice(prefix.length) || '/';
      if (pinned === undefined) return rest;
      if (rest !== '/' && rest !== '/completion') throw refuse(path, `Model Studio app '${route.appId}' is reached only at '${prefix || '/'}' or '${prefix}/completion'`);
      return pinned;
    },
  };
}

/** RFC 3986 §5.2.4 dot-segment removal, after decoding `%2e`; climbing above the root is refused. */
function normalize(path: string, refuse: (path: string, reason: string) => Error): string {
  if (AMBIGUOUS.test(path)) throw refuse(path, 'it contains a backslash, an encoded "/", "\\" or NUL, or a multiply-encoded dot; send a plain path');
  const segments = path.split('/');
  const out: string[] = [];
  let trailingSlash = false;
  // segments[0] is the '' before the leading '/'.
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i].replace(/%2e/gi, '.');
    if (DOT_WITH_PARAMS.test(segment)) throw refuse(path, 'a dot-segment carries path parameters (";")');
    if (segment !== '.' && segment !== '..' && DOT_LIKE.test(segment)) throw refuse(path, `its segment '${segment.slice(0, 50)}' is dots and blanks, which some servers read as '..'`);
    const last = i === segments.length - 1;
    if (segment === '.') {
      trailingSlash = last;
    } else if (segment === '..') {
      if (out.length === 0) throw refuse(path, 'its ".." segments climb above the root');
      out.pop();
      trailingSlash = last;
    } else {
      // Every other escape goes upstream as the client sent it.
      out.push(segments[i]);
      trailingSlash = false;
    }
  }
  return `/${out.join('/')}${trailingSlash && out.length > 0 ? '/' : ''}`;
}
