import { runToEnd, type Steps } from '../reload/sliced';

/** A route as the table sees it: where it matches. */
export interface Matchable {
  readonly match: { readonly host: string; readonly pathPrefix: string };
}

/**
 * Longest-path-prefix matching in a trie of path segments: a lookup walks the request path's
 * segments once, whatever the number of routes (10 or 10,000 cost the same).
 */
class PrefixTrie<R> {
  private readonly root: TrieNode<R> = { children: new Map() };

  public add(prefix: string, route: R): void {
    let node = this.root;
    for (const segment of segmentsOf(prefix)) {
      let next = node.children.get(segment);
      if (!next) {
        next = { children: new Map() };
        node.children.set(segment, next);
      }
      node = next;
    }
    // First come, first served: a later route with the same host and prefix is a synth error anyway.
    node.route ??= route;
  }

  /** The route with the longest prefix of `path`, segment-wise (`/v1` matches `/v1/x`, not `/v10`). */
  public match(path: string): R | undefined {
    let node: TrieNode<R> | undefined = this.root;
    let best = this.root.route;
    let start = 1;
    while (node && start <= path.length) {
      const end = path.indexOf('/', start);
      const segment = path.slice(start, end < 0 ? path.length : end);
      node = segment === '' ? undefined : node.children.get(segment);
      if (node?.route !== undefined) best = node.route;
      if (end < 0) break;
      start = end + 1;
    }
    return best;
  }

  public all(): R[] {
    const out: R[] = [];
    const walk = (n: TrieNode<R>) => {
      if (n.route !== undefined) out.push(n.route);
      n.children.forEach(walk);
    };
    walk(this.root);
    return out;
  }
}

interface TrieNode<R> {
  route?: R;
  readonly children: Map<string, TrieNode<R>>;
}

function segmentsOf(prefix: string): string[] {
  return prefix.split('/').filter((s) => s !== '');
}

/**
 * Host and longest-path-prefix matching, compiled once per config: an exact-host map, then
 * `*.domain` suffixes (longest first), then routes for any host; each a prefix trie.
 *
 * Path-only routes (MCP servers, served at the gateway's URL + their path whatever the Host header)
 * sit in a trie of their own, looked up beside the host match: the longer prefix wins, and on equal
 * length the path-only route does. So a `/` model route on a host never shadows `/mcp/x`, while a
 * route with a longer prefix under an MCP path still gets its own paths.
 */
export class RouteTable<R extends Matchable> {
  /** The table built as a resumable job that yields after each route: a reload's compile runs it in slices. */
  public static *build<R extends Matchable>(routes: readonly R[], pathOnly: readonly R[] = []): Steps<RouteTable<R>> {
    const table = new RouteTable<R>([], []);
    yield* RouteTable.fill(table, routes, pathOnly);
    return table;
  }

  private static *fill<R extends Matchable>(table: RouteTable<R>, routes: readonly R[], pathOnly: readonly R[]): Steps<void> {
    for (const route of pathOnly) table.byPath.add(route.match.pathPrefix, route);
    table.hasByPath = pathOnly.length > 0;
    if (table.hasByPath) for (const route of [...routes, ...pathOnly]) table.depths.set(route, segmentsOf(route.match.pathPrefix).length);
    const wild = new Map<string, PrefixTrie<R>>();
    for (const route of routes) {
      const host = route.match.host;
      const trie = host === '*' ? table.any : host.startsWith('*.') ? getOrAdd(wild, host.slice(1)) : getOrAdd(table.exact, host);
      trie.add(route.match.pathPrefix, route);
      yield;
    }
    for (const [suffix, trie] of wild) table.wildcard.push({ suffix, routes: trie });
    table.wildcard.sort((a, b) => b.suffix.length - a.suffix.length);
  }

  private readonly exact = new Map<string, PrefixTrie<R>>();
  private readonly wildcard: { suffix: string; routes: PrefixTrie<R> }[] = [];
  private readonly any = new PrefixTrie<R>();
  private readonly byPath = new PrefixTrie<R>();
  private hasByPath = false;
  /** Each route's prefix length in segments, worked out here: a request where both tables match only compares two. */
  private readonly depths = new Map<R, number>();

  public constructor(routes: readonly R[], pathOnly: readonly R[] = []) {
    runToEnd(RouteTable.fill(this, routes, pathOnly));
  }

  /** The route for a host (lower-case, no port) and path, or undefined. */
  public match(host: string, path: string): R | undefined {
    const hosted = this.matchHost(host, path);
    if (!this.hasByPath) return hosted;
    const byPath = this.byPath.match(path);
    if (!byPath) return hosted;
    return hosted && this.depths.get(hosted)! > this.depths.get(byPath)! ? hosted : byPath;
  }

  private matchHost(host: string, path: string): R | undefined {
    const exact = this.exact.get(host)?.match(path);
    if (exact) return exact;
    for (const { suffix, routes } of this.wildcard) {
      if (host.endsWith(suffix) && host.length > suffix.length) {
        const w = routes.match(path);
        if (w) return w;
      }
    }
    return this.any.match(path);
  }

  /** Every route that serves the host (any path), most specific host first. */
  public routesForHost(host: string): R[] {
    return [
      ...(this.exact.get(host)?.all() ?? []),
      ...this.wildcard.filter(({ suffix }) => host.endsWith(suffix) && host.length > suffix.length).flatMap((w) => w.routes.all()),
      ...this.any.all(),
    ];
  }
}

function getOrAdd<R>(map: Map<string, PrefixTrie<R>>, key: string): PrefixTrie<R> {
  let trie = map.get(key);
  if (!trie) {
    trie = new PrefixTrie<R>();
    map.set(key, trie);
  }
  return trie;
}

/** Prefix `/v1` matches `/v1` and `/v1/…`, not `/v10`; `/` matches everything. */
export function pathHasPrefix(path: string, prefix: string): boolean {
  if (prefix === '/' || path === prefix) return true;
  const p = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path.startsWith(p) && (path.length === p.length || path.charCodeAt(p.length) === 47 /* '/' */);
}
