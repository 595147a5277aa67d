import { z } from 'zod';
import { AccessLogSchema, BANDWIDTH, CAPACITY_SPEC_NAMES, EDITIONS, type Feature, FEATURES, RequestLabelsSchema, SecretRefSchema } from '../../specs';
import type { AiGateway } from '../gateway';
import { finding, type Finding, shown } from '../violation';
import type { Rule } from './context';
import { gw } from './labels';
import { WafPropsSchema } from './waf-props-schema';

/** The feature matrix as a zod schema, for callers that TypeScript did not check (plain JS, JSON). */
const serverlessSchema = z.strictObject({
  edition: z.literal('serverless'),
  gatewayName: z.string().optional(),
  bandwidthMbps: z.int().min(1).optional(),
  mcpSessionKey: SecretRefSchema.optional(),
  adminToken: SecretRefSchema.optional(),
  rateLimitCounting: z.enum(['lease', 'exact']).optional(),
});

const dedicatedSchema = z.strictObject({
  edition: z.literal('dedicated'),
  gatewayName: z.string().optional(),
  spec: z.enum(CAPACITY_SPEC_NAMES as [string, ...string[]], { error: `must be one of ${CAPACITY_SPEC_NAMES.join(', ')}` }),
  hardwareAcceleration: z
    .strictObject({ tls: z.boolean().optional(), compression: z.boolean().optional(), fallback: z.enum(['software', 'fail']).optional() })
    .optional(),
  waf: WafPropsSchema.optional(),
  endpoint: z
    .strictObject({ fixedIp: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }).optional(), serviceAnnotations: z.record(z.string(), z.string()).optional() })
    .optional(),
  bandwidthMbps: z.int().min(1).optional(),
  observability: z
    .strictObject({
      systemResources: z.boolean().optional(),
      customLabels: z.record(z.string(), z.string()).optional(),
      requestLabels: RequestLabelsSchema.optional(),
      accessLogFields: AccessLogSchema.shape.fields.optional(),
      grafanaDashboard: z.boolean().optional(),
      serviceMonitor: z.boolean().optional(),
      prometheusRule: z.boolean().optional(),
      alertThresholds: z
        .strictObject({
          errorRatio: z.number().gt(0).lt(1, { error: 'must be a share between 0 and 1, e.g. 0.05 for 5%' }).optional(),
          latencyP99Seconds: z.number().positive().optional(),
          ttftP99Seconds: z.number().positive().optional(),
        })
        .optional(),
      monitoringLabels: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  // Whether it is a valid image tag and label value is the image-references rule's.
  version: z.string().optional(),
  mcpSessionKey: SecretRefSchema.optional(),
  adminToken: SecretRefSchema.optional(),
  rateLimitCounting: z.enum(['lease', 'exact']).optional(),
});

/** Which catalog feature a prop a Serverless gateway cannot have stands for. */
const SERVERLESS_FORBIDDEN: Record<string, Feature> = {
  spec: 'capacity',
  waf: 'waf',
  hardwareAcceleration: 'tlsAcceleration',
  endpoint: 'fixedEip',
  observability: 'monitoring',
  version: 'versionUpdates',
};

function check(g: AiGateway): Finding[] {
  const props = g._input;
  const edition = props.edition as string;
  if (!EDITIONS.includes(edition as never)) {
    return [finding(g, `${gw(g)}: edition must be 'serverless' or 'dedicated', found ${JSON.stringify(edition)}. Set edition.`)];
  }
  const out: Finding[] = [];
  const schema = edition === 'serverless' ? serverlessSchema : dedicatedSchema;
  const result = schema.safeParse(props);
  for (const issue of result.success ? [] : result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const feature = edition === 'serverless' && Object.hasOwn(SERVERLESS_FORBIDDEN, key) ? SERVERLESS_FORBIDDEN[key] : undefined;
        out.push(
          finding(
            g,
            feature
              ? `${gw(g)}: '${key}' (${FEATURES[feature].feature}) is not available on the Serverless edition (catalog: ${catalogCell(FEATURES[feature].serverless)}). Remove '${key}', or use edition 'dedicated'.`
              : `${gw(g)}: unknown prop '${[...issue.path, key].join('.')}'. Remove it.`,
          ),
        );
      }
      continue;
    }
    const where = issue.path.join('.');
    out.push(finding(g, `${gw(g)}: ${where} ${issue.message}, found ${shown(valueAt(props, issue.path))}. Fix '${where}'.`));
  }
  const bandwidth = props.bandwidthMbps;
  if (edition === 'serverless' && typeof bandwidth === 'number' && bandwidth > BANDWIDTH.serverlessMaxMbps) {
    out.push(
      finding(
        g,
        `${gw(g)}: Serverless bandwidth is at most ${BANDWIDTH.serverlessMaxMbps} Mbps, found ${bandwidth}. Lower bandwidthMbps, or use edition 'dedicated' (default ${BANDWIDTH.dedicatedDefaultMbps} Mbps, adjustable).`,
      ),
    );
  }
  return out;
}

function catalogCell(cell: boolean | string): string {
  return cell === false ? 'no' : cell === true ? 'yes' : cell;
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), obj);
}

export const gatewayPropsRule: Rule = {
  id: 'gateway-props',
  description:
    "A gateway's props follow the feature matrix of its edition (checked with zod, for callers TypeScript did not check), and Serverless bandwidth is at most 400 Mbps; a WAF's custom rule patterns compile in RE2 (the data plane's engine: no lookaround or back-references), its ipDenyList and trustedProxies are CIDR blocks or addresses, and its anomalyThreshold is a whole number from 1 to 1000.",
  level: 'error',
  errors: { suppressible: false, because: "the edition does not offer the feature (the catalog's feature matrix), and the data plane rejects a config with props it does not know" },
  check: (ctx) => ctx.gateways.flatMap(check),
};
