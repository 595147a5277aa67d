/** A route as the table sees it: where it matches. */
export interface Matchable {
  readonly match: { readonly host: string; readonly pathPrefix: string };
}

/**
 * Host and longest-path-prefix matching, compiled once per config: an exact-host map, then
 * `*.domain` suffixes (longest first), then routes for any host.
 */
export class RouteTable<R extends Matchable> {
  private readonly exact = new Map<string, R[]>();
  private readonly wildcard: { suffix: string; routes: R[] }[] = [];
  private readonly any: R[] = [];

  public constructor(routes: readonly R[]) {
    const wild = new Map<string, R[]>();
    for (const route of routes) {
      const host = route.match.host;
      if (host === '*') this.any.push(route);
      else if (host.startsWith('*.')) wild.set(host.slice(1), [...(wild.get(host.slice(1)) ?? []), route]);
      else this.exact.set(host, [...(this.exact.get(host) ?? []), route]);
    }
    const byPrefix = (a: R, b: R) => b.match.pathPrefix.length - a.match.pathPrefix.length;
    for (const list of this.exact.values()) list.sort(byPrefix);
    for (const [suffix, list] of wild) this.wildcard.push({ suffix, routes: list.sort(byPrefix) });
    this.wildcard.sort((a, b) => b.suffix.length - a.suffix.length);
    this.any.sort(byPrefix);
  }

  /** The route for a host (lower-case, no port) and path, or undefined. */
  public match(host: string, path: string): R | undefined {
    const exact = this.exact.get(host);
    const hit = exact && firstByPrefix(exact, path);
    if (hit) return hit;
    for (const { suffix, routes } of this.wildcard) {
      if (host.endsWith(suffix) && host.length > suffix.length) {
        const w = firstByPrefix(routes, path);
        if (w) return w;
      }
    }
    return firstByPrefix(this.any, path);
  }

  /** Every route that serves the host (any path), most specific host first. */
  public routesForHost(host: string): R[] {
    return [
      ...(this.exact.get(host) ?? []),
      ...this.wildcard.filter(({ suffix }) => host.endsWith(suffix) && host.length > suffix.length).flatMap((w) => w.routes),
      ...this.any,
    ];
  }
}

/** Prefix `/v1` matches `/v1` and `/v1/…`, not `/v10`; `/` matches everything. */
export function pathHasPrefix(path: string, prefix: string): boolean {
  if (prefix === '/' || path === prefix) return true;
  const p = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path.startsWith(p) && (path.length === p.length || path.charCodeAt(p.length) === 47 /* '/' */);
}

function firstByPrefix<R extends Matchable>(routes: readonly R[], path: string): R | undefined {
  for (const r of routes) if (pathHasPrefix(path, r.match.pathPrefix)) return r;
  return undefined;
}
