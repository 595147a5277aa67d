import { compileWaf, type WafEngine } from './engine';
import { type RouteWafConfig, WAF_RULE_FAMILIES, type WafConfig, type WafRuleSwitch } from '../../specs';
import type { WafFamily } from './rules/rule';
import type { WafRouteKind } from './targets';

/**
 * The WAF of one route, compiled at load: its mode, and the engine of its settings (the gateway's `waf` with the
 * route's own `waf` over it). Routes with the same settings share one engine.
 */
export interface RouteWaf {
  /** `detect`: matches are logged and counted, the request goes on; `block`: a request reaching the threshold gets 403. */
  readonly mode: 'detect' | 'block';
  readonly engine: WafEngine;
  /** How the body is read: on model and agent routes, message text is prose (targets.ts). */
  readonly routeKind: WafRouteKind;
  /** The route's name as a metric label ('' for a request no route matches). */
  readonly label: string;
}

/** What the snapshot keeps: the function routes are compiled with, and the WAF of requests no route matches. */
export interface CompiledWafs {
  /** The WAF of a route with this override; undefined when the gateway has no WAF. */
  readonly forRoute: (kind: WafRouteKind, name: string, override: RouteWafConfig | undefined) => RouteWaf | undefined;
  /** The gateway's own settings, for a path no route matches (it is answered 404 after inspection). */
  readonly unrouted: RouteWaf | undefined;
}

/**
 * Compiles the config's WAF. A custom rule the engine cannot compile (the schema already checked each pattern with
 * RE2, so only a data plane older than the config would fail here) is a problem of the config, named.
 */
export function compileWafs(waf: WafConfig | undefined, problems: string[]): CompiledWafs {
  if (waf === undefined) {
    // A route's settings over a WAF the gateway does not have would be declared and never served.
    const forRoute = (kind: WafRouteKind, name: string, override: RouteWafConfig | undefined) => {
      if (override !== undefined) problems.push(`${KIND_FIELDS[kind]} '${name}'.waf: the gateway has no waf, so the route would never be inspected; set waf on the gateway (Dedicated only), or remove the route's waf`);
      return undefined;
    };
    return { forRoute, unrouted: undefined };
  }
  // null: these settings failed to compile, and the problem is already reported (once, not once per route).
  const engines = new Map<string, WafEngine | null>();
  const engineOf = (settings: EngineSettings): WafEngine | undefined => {
    const key = JSON.stringify(settings);
    let engine = engines.get(key);
    if (engine === null) return undefined;
    if (engine === undefined) {
      try {
        engine = compileWaf({
          families: settings.families,
          inspectMessages: settings.inspectMessages,
          anomalyThreshold: settings.anomalyThreshold,
          customRules: settings.custom ? waf.customRules : [],
          ipDenyList: waf.ipDenyList ?? [],
          trustedProxies: waf.trustedProxies ?? [],
        });
      } catch (e) {
        // The custom rules are the same for every route: their error is the config's, said once.
        const message = `waf: ${(e as Error).message}`;
        if (!problems.includes(message)) problems.push(message);
        engines.set(key, null);
        return undefined;
      }
      engines.set(key, engine);
    }
    return engine;
  };

  const forRoute = (kind: WafRouteKind, name: string, override: RouteWafConfig | undefined): RouteWaf | undefined => {
    const mode = override?.mode ?? waf.mode;
    const rules = { ...waf.rules, ...override?.rules };
    // `off`: no rule inspects the route, but the gateway's IP deny list still refuses its clients (in the gateway's mode).
    const off = mode === 'off';
    const families = Object.fromEntries(
      (Object.entries(WAF_RULE_FAMILIES) as [WafRuleSwitch, WafFamily][]).map(([flag, family]) => [family, !off && (rules[flag] ?? true)]),
    ) as Record<WafFamily, boolean>;
    if (off && (waf.ipDenyList ?? []).length === 0) return undefined;
    const engine = engineOf({
      families,
      custom: !off,
      inspectMessages: override?.inspectMessages ?? waf.inspectMessages ?? false,
      anomalyThreshold: override?.anomalyThreshold ?? waf.anomalyThreshold,
    });
    return engine && { mode: off ? waf.mode : mode, engine, routeKind: kind, label: name };
  };
  return { forRoute, unrouted: forRoute('model', '', undefined) };
}

const KIND_FIELDS: Record<WafRouteKind, string> = { model: 'modelRoutes', agent: 'agentRoutes', mcp: 'mcpServers' };

interface EngineSettings {
  readonly families: Record<WafFamily, boolean>;
  /** Whether the custom rules run (not on a route whose WAF is off). */
  readonly custom: boolean;
  readonly inspectMessages: boolean;
  readonly anomalyThreshold: number | undefined;
}
