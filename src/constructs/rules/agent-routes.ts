import { CONFIG_PART_SCHEMAS, modelNamePattern } from '../../specs';
import type { AgentRoute, DifyVariablesProps } from '../agent-route';
import type { AiGateway } from '../gateway';
import { describe, finding, type Finding } from '../violation';
import type { Rule } from './context';

/** A Dify variable name as the config schema has it: read from it, so that synth and the data plane agree. */
const DIFY_VARIABLE = CONFIG_PART_SCHEMAS.agentRoute.shape.variables.unwrap().shape.query.unwrap();

/** The props only a Dify agent takes, and what each is, for the message. */
const DIFY_ONLY: readonly { readonly prop: 'appType' | 'variables' | 'userMapping'; readonly what: string }[] = [
  { prop: 'appType', what: "it picks a Dify app's endpoint" },
  { prop: 'variables', what: "they name a Dify app's input and output variables" },
  { prop: 'userMapping', what: "it sets Dify's user field" },
];

/** The endpoint the gateway calls beneath a Dify base URL, by app type (the data plane's DIFY_APP_PATHS). */
const DIFY_ENDPOINTS: Readonly<Record<string, string>> = { chat: 'chat-messages', completion: 'completion-messages', workflow: 'workflows/run' };

const at = (route: AgentRoute): string => describe('AgentRoute', route.routeName, route);

/** Dify props on an agent of another kind: its protocol has no place for them, so they would be ignored. */
function difyOnlyProps(route: AgentRoute): Finding[] {
  if (route.kind === 'dify') return [];
  return DIFY_ONLY.filter(({ prop }) => route[prop] !== undefined).map(({ prop, what }) =>
    finding(
      route,
      `${at(route)}: ${prop} ${JSON.stringify(route[prop])} is for Dify agents only (${what}); a '${route.kind}' agent would ignore it. Remove ${prop}, or set kind: 'dify' if the agent is a Dify app.`,
    ),
  );
}

/** Dify variables: names Dify takes, each used by the app type, and read at all (only the OpenAI mapping reads them). */
function difyVariables(route: AgentRoute): Finding[] {
  const vars: unknown = route.variables;
  // Not an object: the config schema reports it.
  if (route.kind !== 'dify' || vars === null || typeof vars !== 'object') return [];
  const out: Finding[] = [];
  const given = vars as DifyVariablesProps;
  for (const key of ['query', 'system', 'output'] as const) {
    const value: unknown = given[key];
    if (value === undefined) continue;
    const parsed = DIFY_VARIABLE.safeParse(value);
    if (!parsed.success) {
      const why = typeof value === 'string' ? parsed.error.issues[0]?.message : undefined;
      out.push(finding(route, `${at(route)}: variables.${key} ${JSON.stringify(value)}: ${why ?? 'must be a Dify variable name (a string)'}. Use the variable's name as the Dify app declares it.`));
    }
  }
  const appType = route.appType;
  if (appType === 'chat' && given.query !== undefined) {
    out.push(
      finding(
        route,
        `${at(route)}: variables.query ${JSON.stringify(given.query)} is for completion and workflow apps; a Dify chat app takes the message as its own query field, so it would be ignored. Remove variables.query, or set appType: 'completion' or 'workflow'.`,
      ),
    );
  }
  if ((appType === 'chat' || appType === 'completion') && given.output !== undefined) {
    out.push(
      finding(
        route,
        `${at(route)}: variables.output ${JSON.stringify(given.output)} is for workflow apps; a Dify ${appType} app answers in its own answer field, so it would be ignored. Remove variables.output, or set appType: 'workflow'.`,
      ),
    );
  }
  if (appType !== 'chat' && given.query !== undefined && given.query === given.system) {
    out.push(
      finding(
        route,
        `${at(route)}: variables.query and variables.system are both ${JSON.stringify(given.query)}: the message and the system prompt would go to one input. Give the system prompt an input variable of its own.`,
      ),
    );
  }
  if (route.asModel === undefined && Object.values(given).some((v) => v !== undefined)) {
    out.push({
      construct: route,
      level: 'warning',
      message: `${at(route)}: variables are read only by the OpenAI mapping, and the route has no asModel: they change nothing (native Dify clients send their own inputs). Set asModel to expose the agent as a model, or remove variables.`,
    });
  }
  return out;
}

/** `asModel`: on an agent the gateway can map (a custom one through its `mapping`), one plain name; `surfaceAgentEvents` needs it. */
function asModelProps(route: AgentRoute): Finding[] {
  const out: Finding[] = [];
  const name: unknown = route.asModel;
  if (name !== undefined && route.kind === 'custom' && route.mapping === undefined) {
    out.push(
      finding(
        route,
        `${at(route)}: asModel ${JSON.stringify(name)} on a 'custom' agent without a mapping: the gateway reads no protocol of a custom agent, so it cannot map OpenAI requests to it. ` +
          "Declare the agent's mapping ({ path, request, response }: the JSON it takes and where its answer is), or remove asModel; for an agent that speaks OpenAI's API, add a model to a ModelRoute with a Backend.openAiCompatible({ baseUrl }) target instead.",
      ),
    );
  }
  if (typeof name === 'string' && name.includes('*')) {
    out.push(
      finding(
        route,
        `${at(route)}: asModel ${JSON.stringify(name)} contains '*': asModel is one model name, and a '*' would make it a pattern that /v1/models cannot list. Use a plain name such as 'support-bot'.`,
      ),
    );
  }
  if (route.surfaceAgentEvents === true && name === undefined) {
    out.push({
      construct: route,
      level: 'warning',
      message: `${at(route)}: surfaceAgentEvents is true, but the route has no asModel: agent events are surfaced on the OpenAI mapping only, so nothing is surfaced. Set asModel, or remove surfaceAgentEvents.`,
    });
  } else if (route.surfaceAgentEvents === true && route.kind === 'custom') {
    out.push({
      construct: route,
      level: 'warning',
      message: `${at(route)}: surfaceAgentEvents is true, but a 'custom' agent's mapping reads one JSON answer, with no agent events: nothing is surfaced. Remove surfaceAgentEvents.`,
    });
  }
  return out;
}

/** `mapping`: a custom agent's OpenAI mapping, read only with `asModel` (Dify and Model Studio have the gateway's own). */
function mappingProps(route: AgentRoute): Finding[] {
  const mapping: unknown = route.mapping;
  if (mapping === undefined) return [];
  if (route.kind !== 'custom') {
    return [
      finding(
        route,
        `${at(route)}: mapping is for 'custom' agents only; a '${route.kind}' agent is mapped by the gateway's own ${route.kind === 'dify' ? 'Dify' : 'Model Studio'} mapping, so it would be ignored. ` +
          `Remove mapping${route.kind === 'dify' ? " (the app's input and output variables are set with variables)" : ''}, or set kind: 'custom' if the agent is not a ${route.kind === 'dify' ? 'Dify app' : 'Model Studio application'}.`,
      ),
    ];
  }
  if (route.asModel === undefined) {
    return [
      finding(
        route,
        `${at(route)}: mapping is given, but the route has no asModel: the mapping is read only when OpenAI clients call the agent as a model (its own path prefix passes bytes through), so it would be ignored. Set asModel to the model name clients call it by, or remove mapping.`,
      ),
    ];
  }
  return [];
}

/** Token limits on a custom agent: it reports no usage, so the limit would count the gateway's estimate only. */
function tokenLimits(route: AgentRoute): Finding[] {
  const limits: unknown = route.policies.rateLimits;
  // A list that is not one is the config schema's to report.
  if (route.kind !== 'custom' || !Array.isArray(limits)) return [];
  return route.policies.rateLimits.flatMap((limit, i) =>
    limit?.kind !== 'tokens'
      ? []
      : [
        finding(
          route,
          `${at(route)}: policies.rateLimits[${i}] counts tokens, but a 'custom' agent reports no usage: the limit would count the gateway's estimate of each request, never what the agent used. Use kind: 'requests', or kind: 'dify' or 'model-studio' if the agent is one of these.`,
        ),
      ],
  );
}

/**
 * A Dify base URL is the API root, ending in `/v1` as Dify documents it: the gateway calls
 * `<baseUrl>/chat-messages` etc. (A URL that does not parse is upstream-urls' to report.)
 */
function difyBaseUrl(route: AgentRoute): Finding[] {
  if (route.kind !== 'dify') return [];
  const url: unknown = route.baseUrl ?? (route.service && typeof route.service.url === 'function' ? route.service.url() : undefined);
  if (typeof url !== 'string' || !URL.canParse(url)) return [];
  const path = new URL(url).pathname.replace(/\/+$/, '');
  if (path.endsWith('/v1')) return [];
  const endpoint = DIFY_ENDPOINTS[route.appType ?? 'chat'] ?? DIFY_ENDPOINTS.chat;
  const given = route.baseUrl !== undefined ? `baseUrl ${JSON.stringify(url)}` : `the URL of service '${route.service?.serviceName}', ${JSON.stringify(url)},`;
  const fix = route.baseUrl !== undefined ? `Set baseUrl to the API root, e.g. '${url.replace(/\/+$/, '')}/v1'.` : "Set baseUrl: service.url('http', '/v1') (keep service).";
  return [
    {
      construct: route,
      level: 'warning',
      message: `${at(route)}: ${given} does not end in /v1: the gateway calls ${url.replace(/\/+$/, '')}/${endpoint}, while Dify serves its API under /v1 (as in https://api.dify.ai/v1). ${fix}`,
    },
  ];
}

/** Whether a model name or alias answers to `requested`: `*` matches any run of characters, over the whole name (as the data plane's model matcher has it). */
function answersTo(nameOrPattern: string, requested: string): boolean {
  if (!nameOrPattern.includes('*')) return nameOrPattern === requested;
  return modelNamePattern(nameOrPattern).test(requested);
}

/** The names a model route's model answers to, each with how messages call it. */
function modelNames(g: AiGateway): { readonly name: string; readonly label: string }[] {
  return g.children.modelRoutes.flatMap((route) => {
    const where = describe('ModelRoute', route.routeName, route);
    return route.models.flatMap((m) => {
      // Names that are not strings are the config schema's to report.
      if (typeof m?.name !== 'string') return [];
      const aliases = Array.isArray(m.aliases) ? m.aliases.filter((a): a is string => typeof a === 'string') : [];
      const kind = (n: string) => (n.includes('*') ? 'pattern' : 'name');
      return [
        { name: m.name, label: `model ${kind(m.name)} '${m.name}' of ${where}` },
        ...aliases.map((a) => ({ name: a, label: `alias ${kind(a) === 'pattern' ? 'pattern ' : ''}'${a}' of model '${m.name}' of ${where}` })),
      ];
    });
  });
}

/** Each `asModel` reaches its agent: no model of the gateway answers to it, and no other agent shares it. */
function asModelCollisions(g: AiGateway): Finding[] {
  const out: Finding[] = [];
  const models = modelNames(g);
  const first = new Map<string, AgentRoute>();
  for (const route of g.children.agentRoutes) {
    const name: unknown = route.asModel;
    // A custom agent without a mapping is no model (asModelProps reports it).
    if (typeof name !== 'string' || (route.kind === 'custom' && route.mapping === undefined)) continue;
    for (const model of models) {
      if (!answersTo(model.name, name)) continue;
      const how = model.name === name ? 'is also' : 'is matched by';
      out.push(
        finding(
          route,
          `${at(route)}: asModel '${name}' ${how} ${model.label} of the same gateway: there that model answers the name, never the agent. Choose an asModel that no model name, alias or pattern of the gateway answers to.`,
        ),
      );
    }
    const earlier = first.get(name);
    if (earlier) {
      out.push(
        finding(
          route,
          `${at(route)}: asModel '${name}' is already the model name of ${at(earlier)} of the same gateway: one name cannot reach two agents. Give each agent its own asModel.`,
        ),
      );
    } else {
      first.set(name, route);
    }
  }
  return out;
}

/** The checks of one agent route alone, in the order its findings are reported. */
const ROUTE_CHECKS: readonly ((route: AgentRoute) => Finding[])[] = [
  difyOnlyProps,
  difyVariables,
  asModelProps,
  mappingProps,
  tokenLimits,
  difyBaseUrl,
];

function check(g: AiGateway): Finding[] {
  return [...g.children.agentRoutes.flatMap((route) => ROUTE_CHECKS.flatMap((c) => c(route))), ...asModelCollisions(g)];
}

export const agentRoutesRule: Rule = {
  id: 'agent-routes',
  description:
    "An agent route's props fit its kind: appType, variables (Dify variable names, each used by the app type) and userMapping on Dify only; mapping on custom agents only, and with asModel; asModel on Dify and Model Studio, and on custom agents with a mapping, one plain name that no model of the gateway answers to and no other agent shares; token limits not on custom agents (their own paths report no usage). Warnings: surfaceAgentEvents or variables without asModel, surfaceAgentEvents on a custom agent, and a Dify base URL that does not end in /v1.",
  level: 'error',
  errors: {
    suppressible: false,
    because:
      'the agent would not be reached as declared: a prop its kind or app type does not take is ignored, a model name another model or agent answers to reaches only one of them, and a token limit on an agent that reports no usage never counts what it used',
  },
  check: (ctx) => ctx.gateways.flatMap(check),
};
