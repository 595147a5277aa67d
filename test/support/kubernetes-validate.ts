import { isIP } from 'net';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

/**
 * What the Kubernetes API server would say about the objects a synthesized stack creates.
 *
 * `kubernetesObjectsOf` turns each `kubernetes_*` resource of the Terraform JSON into the object the
 * provider would send (snake_case → camelCase, its block lists → Kubernetes lists and objects, its
 * string-typed numbers → numbers), and `problemsOf` checks one object three ways: the official
 * OpenAPI schema (kubernetes-models' validate()), no field the schema does not know (the API
 * server's strict field validation, which also catches a converter that guessed a name wrong), and
 * the name rules the schema does not carry (NAME_RULES, applied by FIELD_RULES).
 */

type JsonObject = { [key: string]: unknown };

export interface KubernetesObject extends JsonObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name?: string; readonly namespace?: string; readonly [key: string]: unknown };
}

export interface TerraformJsonLike {
  readonly resource?: Record<string, Record<string, unknown>>;
}

/** What validates a kind: a kubernetes-models class. */
type ModelClass = new (data: never) => { validate(): void };

interface KindInfo {
  readonly apiVersion: string;
  readonly kind: string;
  readonly model: ModelClass;
  /** The rule `metadata.name` follows for this kind (the API server's per-kind name validation). */
  readonly nameRule: NameRuleId;
}

/** The provider resources this library emits (or may soon), by Terraform type. Any other `kubernetes_*` type fails loudly. */
const KINDS: Record<string, KindInfo> = {
  kubernetes_namespace_v1: { apiVersion: 'v1', kind: 'Namespace', model: Namespace, nameRule: 'dns1123Label' },
  kubernetes_config_map_v1: { apiVersion: 'v1', kind: 'ConfigMap', model: ConfigMap, nameRule: 'dns1123Subdomain' },
  kubernetes_secret_v1: { apiVersion: 'v1', kind: 'Secret', model: Secret, nameRule: 'dns1123Subdomain' },
  kubernetes_service_account_v1: { apiVersion: 'v1', kind: 'ServiceAccount', model: ServiceAccount, nameRule: 'dns1123Subdomain' },
  // A Service name becomes a DNS label (<name>.<namespace>.svc): RFC 1035, at most 63.
  kubernetes_service_v1: { apiVersion: 'v1', kind: 'Service', model: Service, nameRule: 'dns1035Label' },
  kubernetes_deployment_v1: { apiVersion: 'apps/v1', kind: 'Deployment', model: Deployment, nameRule: 'dns1123Subdomain' },
  kubernetes_stateful_set_v1: { apiVersion: 'apps/v1', kind: 'StatefulSet', model: StatefulSet, nameRule: 'dns1123Subdomain' },
  kubernetes_pod_disruption_budget_v1: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', model: PodDisruptionBudget, nameRule: 'dns1123Subdomain' },
  kubernetes_horizontal_pod_autoscaler_v2: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', model: HorizontalPodAutoscaler, nameRule: 'dns1123Subdomain' },
  kubernetes_ingress_v1: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', model: Ingress, nameRule: 'dns1123Subdomain' },
};

const KIND_INFO = new Map(Object.values(KINDS).map((k) => [k.kind, k]));

// ---------------------------------------------------------------------------------------------
// Terraform resource → Kubernetes object
// ---------------------------------------------------------------------------------------------

/** Terraform meta-arguments and provider-only attributes at a resource's top level: never sent to the API server. */
const TERRAFORM_ONLY = new Set([
  'provider', 'depends_on', 'count', 'for_each', 'lifecycle', 'provisioner', 'connection', 'timeouts',
  'wait_for_rollout', 'wait_for_load_balancer', 'wait_for_service_account_token', 'wait_for_default_service_account',
]);

/** Provider attribute names that are not the camelCase of the Kubernetes field (mostly: a block per item vs a plural list). */
const RENAMED: Record<string, string> = {
  container: 'containers',
  init_container: 'initContainers',
  volume: 'volumes',
  volume_mount: 'volumeMounts',
  volume_claim_template: 'volumeClaimTemplates',
  topology_spread_constraint: 'topologySpreadConstraints',
  toleration: 'tolerations',
  readiness_gate: 'readinessGates',
  http_header: 'httpHeaders',
  image_pull_secret: 'imagePullSecrets',
  rule: 'rules',
  metric: 'metrics',
  policy: 'policies',
  load_balancer_ip: 'loadBalancerIP',
  cluster_ip: 'clusterIP',
  cluster_ips: 'clusterIPs',
  external_ips: 'externalIPs',
  client_ip: 'clientIP',
  se_linux_options: 'seLinuxOptions',
};

/** Renamed only when the provider gives a list of blocks (`port` is also a probe's port, `path` an HTTP path). */
const RENAMED_WHEN_LIST: Record<string, string> = { port: 'ports', path: 'paths', secret: 'secrets' };

/** Provider blocks of at most one item that are a single object in Kubernetes. */
const SINGLE_BLOCKS = new Set(['tcp_socket', 'label_selector', 'projected', 'pre_stop', 'post_start', 'exec', 'http_get', 'grpc', 'sleep']);

/** Provider strings that Kubernetes types as integers. */
const INT_FROM_STRING = new Set(['replicas', 'run_as_user', 'run_as_group', 'fs_group', 'toleration_seconds']);
/** File modes: octal strings in the provider. */
const OCTAL_FROM_STRING = new Set(['default_mode', 'mode']);
/** IntOrString fields: the provider parses a numeric string to an integer (intstr.Parse). */
const INT_OR_STRING = new Set(['port', 'target_port', 'max_unavailable', 'max_surge', 'min_available']);

/** Free-form maps: keys are data (label keys, file names), never renamed. */
const MAP_FIELDS = new Set(['labels', 'annotations', 'data', 'binary_data', 'string_data', 'match_labels', 'node_selector', 'limits', 'requests']);

/** Every `kubernetes_*` resource of a synthesized stack, as the Kubernetes object it creates. */
export function kubernetesObjectsOf(tf: TerraformJsonLike): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  for (const [type, byName] of Object.entries(tf.resource ?? {})) {
    if (!type.startsWith('kubernetes_')) continue;
    const info = KINDS[type];
    if (!info) throw new Error(`No converter for Terraform type ${type}: add it to KINDS in test/support/kubernetes-validate.ts.`);
    for (const resource of Object.values(byName)) objects.push(toKubernetesObject(info, resource as JsonObject, tf));
  }
  return objects;
}

function toKubernetesObject(info: KindInfo, resource: JsonObject, tf: TerraformJsonLike): KubernetesObject {
  const ctx: ConvertContext = { kind: info.kind, tf };
  const body: JsonObject = {};
  for (const [key, value] of Object.entries(resource)) {
    if (TERRAFORM_ONLY.has(key)) continue;
    body[kubernetesName(key, value)] = convertValue(key, value, ctx);
  }
  return { apiVersion: info.apiVersion, kind: info.kind, ...body } as KubernetesObject;
}

interface ConvertContext {
  readonly kind: string;
  readonly tf: TerraformJsonLike;
}

function kubernetesName(key: string, value: unknown): string {
  if (Array.isArray(value) && RENAMED_WHEN_LIST[key]) return RENAMED_WHEN_LIST[key];
  return RENAMED[key] ?? key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function convertValue(key: string, value: unknown, ctx: ConvertContext): unknown {
  if (typeof value === 'string') {
    const s = resolveReferences(value, ctx.tf);
    if (INT_FROM_STRING.has(key)) return /^-?\d+$/.test(s) ? Number(s) : s;
    if (OCTAL_FROM_STRING.has(key)) return /^0?[0-7]+$/.test(s) ? parseInt(s, 8) : s;
    if (INT_OR_STRING.has(key) && /^\d+$/.test(s)) return Number(s);
    return s;
  }
  if (Array.isArray(value)) {
    if (SINGLE_BLOCKS.has(key) && value.length === 1 && isObject(value[0])) return convertBlock(value[0], ctx);
    // A projected volume's sources: each provider `sources` block holds lists per source type; Kubernetes has one projection per item.
    if (key === 'sources') return value.flatMap((s) => projections(s, ctx));
    return value.map((item) => (isObject(item) ? convertBlock(item, ctx) : convertValue(key, item, ctx)));
  }
  if (isObject(value)) {
    // A Service's selector is a label map; elsewhere `selector` is a LabelSelector block.
    const isMap = MAP_FIELDS.has(key) || (key === 'selector' && ctx.kind === 'Service');
    if (isMap) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? resolveReferences(v, ctx.tf) : v]));
    return convertBlock(value, ctx);
  }
  return value;
}

function convertBlock(block: JsonObject, ctx: ConvertContext): JsonObject {
  return Object.fromEntries(Object.entries(block).map(([k, v]) => [kubernetesName(k, v), convertValue(k, v, ctx)]));
}

/** The provider's expandProjectedSources: in each `sources` block, every secret, config_map … item becomes one projection. */
function projections(source: unknown, ctx: ConvertContext): JsonObject[] {
  if (!isObject(source)) return [];
  const out: JsonObject[] = [];
  for (const [type, field] of [['secret', 'secret'], ['config_map', 'configMap'], ['downward_api', 'downwardAPI'], ['service_account_token', 'serviceAccountToken']] as const) {
    const items = source[type];
    if (Array.isArray(items)) for (const item of items) if (isObject(item)) out.push({ [field]: convertBlock(item, ctx) });
  }
  return out;
}

/** `${<type>.<name>.metadata[0].name}` → that resource's name. Anything else would be known only at apply: fail. */
function resolveReferences(s: string, tf: TerraformJsonLike): string {
  if (!s.includes('${')) return s;
  const ref = /^\$\{(kubernetes_[a-z0-9_]+)\.([^.]+)\.metadata\[0\]\.name\}$/.exec(s);
  const target = ref ? (tf.resource?.[ref[1]]?.[ref[2]] as { metadata?: { name?: unknown } } | undefined) : undefined;
  if (!target || typeof target.metadata?.name !== 'string') {
    throw new Error(`Unresolvable Terraform expression ${s}: the converter resolves only <kubernetes resource>.<name>.metadata[0].name.`);
  }
  return resolveReferences(target.metadata.name, tf);
}

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// Name, label and annotation rules (k8s.io/apimachinery/pkg/util/validation)
// ---------------------------------------------------------------------------------------------

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

interface NameRule {
  readonly test: (value: string) => boolean;
  /** What a valid value looks like, for the failure message. */
  readonly says: string;
}

const dns1123Subdomain = (v: string) => v.length <= 253 && new RegExp(`^${LABEL}(\\.${LABEL})*$`).test(v);

/** Docker/OCI image reference (distribution/reference): a lowercase repository path, optional registry, tag and digest. */
const IMAGE_REFERENCE = new RegExp(
  '^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?/)?' +
    '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*' +
    '(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$',
);

export const NAME_RULES = {
  dns1123Label: { test: (v) => v.length <= 63 && new RegExp(`^${LABEL}$`).test(v), says: 'an RFC 1123 label: at most 63 of [a-z0-9-], starting and ending alphanumeric' },
  dns1035Label: { test: (v) => v.length <= 63 && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(v), says: 'an RFC 1035 label: at most 63 of [a-z0-9-], starting with a letter, ending alphanumeric' },
  dns1123Subdomain: { test: dns1123Subdomain, says: 'an RFC 1123 subdomain: at most 253, dot-separated RFC 1123 labels' },
  qualifiedName: {
    // Label and annotation keys: an optional DNS-subdomain prefix and '/', then a name of at most 63.
    test: (v) => {
      const slash = v.lastIndexOf('/');
      const [prefix, name] = slash >= 0 ? [v.slice(0, slash), v.slice(slash + 1)] : [undefined, v];
      return (prefix === undefined || (prefix.length > 0 && dns1123Subdomain(prefix))) && name.length <= 63 && QUALIFIED_NAME.test(name);
    },
    says: 'a qualified name: an optional DNS subdomain prefix and "/", then at most 63 of [A-Za-z0-9-_.], starting and ending alphanumeric',
  },
  labelValue: { test: (v) => v === '' || (v.length <= 63 && QUALIFIED_NAME.test(v)), says: 'a label value: empty, or at most 63 of [A-Za-z0-9-_.], starting and ending alphanumeric' },
  ianaSvcName: {
    test: (v) => v.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(v) && /[a-z]/.test(v) && !v.includes('--'),
    says: 'an IANA service name: at most 15 of [a-z0-9-], with a letter, no "--", starting and ending alphanumeric',
  },
  configMapKey: { test: (v) => v.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(v), says: 'a ConfigMap/Secret key: at most 253 of [-._a-zA-Z0-9]' },
  ingressHost: {
    // A DNS name, optionally with one leading wildcard label; never an IP address.
    test: (v) => isIP(v) === 0 && dns1123Subdomain(v.startsWith('*.') ? v.slice(2) : v),
    says: 'a DNS name (RFC 1123 subdomain, optionally "*." first), not an IP address',
  },
  imageReference: { test: (v) => IMAGE_REFERENCE.test(v), says: 'a pullable image reference: [registry/]lowercase/path[:tag][@digest]' },
  relativePath: { test: (v) => v.length > 0 && !v.startsWith('/') && !v.split('/').includes('..'), says: 'a relative path without ".."' },
  ipAddress: { test: (v) => isIP(v) !== 0, says: 'an IPv4 or IPv6 address' },
} satisfies Record<string, NameRule>;

export type NameRuleId = keyof typeof NAME_RULES;

interface FieldRule {
  readonly kinds: readonly string[] | 'all';
  /** Dotted path; `[]` iterates a list, `{}` iterates a map's entries (then `on` says key or value). */
  readonly select: string;
  readonly rule: NameRuleId;
  readonly on?: 'key' | 'value';
}

const WORKLOADS = ['Deployment', 'StatefulSet'];
const POD = 'spec.template.spec';

/** Which string fields follow which rule (metadata.name follows its kind's rule, in KINDS). */
export const FIELD_RULES: readonly FieldRule[] = [
  { kinds: 'all', select: 'metadata.namespace', rule: 'dns1123Label' },
  { kinds: 'all', select: 'metadata.labels{}', rule: 'qualifiedName', on: 'key' },
  { kinds: 'all', select: 'metadata.labels{}', rule: 'labelValue', on: 'value' },
  { kinds: 'all', select: 'metadata.annotations{}', rule: 'qualifiedName', on: 'key' },
  { kinds: [...WORKLOADS, 'PodDisruptionBudget'], select: 'spec.selector.matchLabels{}', rule: 'qualifiedName', on: 'key' },
  { kinds: [...WORKLOADS, 'PodDisruptionBudget'], select: 'spec.selector.matchLabels{}', rule: 'labelValue', on: 'value' },
  { kinds: WORKLOADS, select: 'spec.template.metadata.labels{}', rule: 'qualifiedName', on: 'key' },
  { kinds: WORKLOADS, select: 'spec.template.metadata.labels{}', rule: 'labelValue', on: 'value' },
  { kinds: WORKLOADS, select: 'spec.template.metadata.annotations{}', rule: 'qualifiedName', on: 'key' },
  { kinds: WORKLOADS, select: `${POD}.serviceAccountName`, rule: 'dns1123Subdomain' },
  { kinds: WORKLOADS, select: `${POD}.containers[].name`, rule: 'dns1123Label' },
  { kinds: WORKLOADS, select: `${POD}.initContainers[].name`, rule: 'dns1123Label' },
  { kinds: WORKLOADS, select: `${POD}.containers[].image`, rule: 'imageReference' },
  { kinds: WORKLOADS, select: `${POD}.initContainers[].image`, rule: 'imageReference' },
  { kinds: WORKLOADS, select: `${POD}.containers[].ports[].name`, rule: 'ianaSvcName' },
  { kinds: WORKLOADS, select: `${POD}.volumes[].name`, rule: 'dns1123Label' },
  { kinds: WORKLOADS, select: `${POD}.volumes[].secret.secretName`, rule: 'dns1123Subdomain' },
  { kinds: WORKLOADS, select: `${POD}.volumes[].configMap.name`, rule: 'dns1123Subdomain' },
  { kinds: WORKLOADS, select: `${POD}.volumes[].projected.sources[].configMap.name`, rule: 'dns1123Subdomain' },
  { kinds: WORKLOADS, select: `${POD}.volumes[].projected.sources[].secret.name`, rule: 'dns1123Subdomain' },
  { kinds: WORKLOADS, select: `${POD}.volumes[].projected.sources[].secret.items[].key`, rule: 'configMapKey' },
  { kinds: WORKLOADS, select: `${POD}.volumes[].projected.sources[].secret.items[].path`, rule: 'relativePath' },
  { kinds: WORKLOADS, select: `${POD}.topologySpreadConstraints[].labelSelector.matchLabels{}`, rule: 'labelValue', on: 'value' },
  { kinds: ['HorizontalPodAutoscaler'], select: 'spec.scaleTargetRef.name', rule: 'dns1123Subdomain' },
  { kinds: ['Service'], select: 'spec.selector{}', rule: 'qualifiedName', on: 'key' },
  { kinds: ['Service'], select: 'spec.selector{}', rule: 'labelValue', on: 'value' },
  { kinds: ['Service'], select: 'spec.ports[].name', rule: 'dns1123Label' },
  { kinds: ['Service'], select: 'spec.ports[].targetPort', rule: 'ianaSvcName' },
  { kinds: ['Service'], select: 'spec.loadBalancerIP', rule: 'ipAddress' },
  { kinds: ['ConfigMap', 'Secret'], select: 'data{}', rule: 'configMapKey', on: 'key' },
  { kinds: ['ConfigMap', 'Secret'], select: 'binaryData{}', rule: 'configMapKey', on: 'key' },
  { kinds: ['Ingress'], select: 'spec.ingressClassName', rule: 'dns1123Subdomain' },
  { kinds: ['Ingress'], select: 'spec.rules[].host', rule: 'ingressHost' },
  { kinds: ['Ingress'], select: 'spec.tls[].hosts[]', rule: 'ingressHost' },
  { kinds: ['Ingress'], select: 'spec.tls[].secretName', rule: 'dns1123Subdomain' },
  { kinds: ['Ingress'], select: 'spec.rules[].http.paths[].backend.service.name', rule: 'dns1035Label' },
  { kinds: ['Ingress'], select: 'spec.rules[].http.paths[].backend.service.port.name', rule: 'ianaSvcName' },
];

/** What the API server caps beyond single fields (bytes). */
const LIMITS = { configMapBytes: 1024 * 1024, annotationBytes: 256 * 1024 };

// ---------------------------------------------------------------------------------------------
// Checking one object
// ---------------------------------------------------------------------------------------------

/** Everything the API server would refuse about one object: empty when it would accept it. */
export function problemsOf(obj: KubernetesObject): string[] {
  const info = KIND_INFO.get(obj.kind);
  const label = `${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name ?? '<no name>'}`;
  if (!info) return [`${label}: no validator for kind ${obj.kind}`];
  const problems = [
    ...schemaErrors(info, obj).map((e) => `schema: ${e.path || '/'} ${e.message}`),
    ...unknownFields(info, obj).map((p) => `unknown field ${p} (strict field validation refuses it; or the converter misnamed a provider attribute)`),
    ...nameProblems(info, obj),
    ...structureProblems(obj),
  ];
  return problems.map((p) => `${label}: ${p}`);
}

interface SchemaError {
  readonly path: string;
  readonly message: string;
}

function schemaErrors(info: KindInfo, obj: JsonObject): SchemaError[] {
  try {
    new info.model(obj as never).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: { instancePath: string; message?: string }[] }).errors;
    if (!errors) throw e;
    return errors.map((err) => ({ path: err.instancePath, message: err.message ?? 'is invalid' }));
  }
}

const PROBE = Symbol('probe');

/**
 * The schema lets unknown fields through; the API server (strict field validation) does not. A field
 * is known when putting a value of no JSON type there makes the schema complain at that very path.
 */
function unknownFields(info: KindInfo, obj: JsonObject): string[] {
  const unknown: string[] = [];
  const visit = (holder: JsonObject | unknown[], pointer: string, mapField: boolean) => {
    const entries: [string | number, unknown][] = Array.isArray(holder) ? holder.map((v, i) => [i, v]) : Object.entries(holder);
    for (const [key, value] of entries) {
      const at = `${pointer}/${key}`;
      if (!Array.isArray(holder) && !mapField && key !== 'apiVersion' && key !== 'kind') {
        const record = holder as Record<string, unknown>;
        record[key as string] = PROBE;
        const known = schemaErrors(info, obj).some((e) => e.path === at);
        record[key as string] = value;
        if (!known) {
          unknown.push(at);
          continue;
        }
      }
      if (Array.isArray(value)) visit(value, at, false);
      else if (isObject(value)) visit(value, at, isMapField(info.kind, at));
    }
  };
  visit(obj, '', false);
  return unknown;
}

function isMapField(kind: string, pointer: string): boolean {
  const key = pointer.slice(pointer.lastIndexOf('/') + 1);
  return ['labels', 'annotations', 'data', 'binaryData', 'stringData', 'matchLabels', 'nodeSelector', 'limits', 'requests'].includes(key) || (kind === 'Service' && pointer === '/spec/selector');
}

function nameProblems(info: KindInfo, obj: KubernetesObject): string[] {
  const problems: string[] = [];
  const check = (path: string, value: unknown, rule: NameRuleId) => {
    if (typeof value === 'string' && !NAME_RULES[rule].test(value)) {
      problems.push(`${path} ${JSON.stringify(value)} (${value.length} characters) must be ${NAME_RULES[rule].says}`);
    }
  };
  check('metadata.name', obj.metadata?.name, info.nameRule);
  for (const r of FIELD_RULES) {
    if (r.kinds !== 'all' && !r.kinds.includes(obj.kind)) continue;
    for (const hit of select(obj, r.select)) check(r.on === 'key' ? `${hit.path} key` : hit.path, r.on === 'key' ? hit.key : hit.value, r.rule);
  }
  return problems;
}

/** Cross-field rules of the API server that the schema cannot state. */
function structureProblems(obj: KubernetesObject): string[] {
  const problems: string[] = [];
  const annotations = JSON.stringify(obj.metadata?.annotations ?? {});
  if (Buffer.byteLength(annotations) > LIMITS.annotationBytes) problems.push(`metadata.annotations total ${Buffer.byteLength(annotations)} bytes, limit ${LIMITS.annotationBytes}`);
  if (obj.kind === 'ConfigMap') {
    const size = Object.values((obj.data as Record<string, string>) ?? {}).reduce((n, v) => n + Buffer.byteLength(v), 0) +
      Object.values((obj.binaryData as Record<string, string>) ?? {}).reduce((n, v) => n + Buffer.from(v, 'base64').length, 0);
    if (size > LIMITS.configMapBytes) problems.push(`data and binaryData total ${size} bytes, limit ${LIMITS.configMapBytes}`);
  }
  if (obj.kind === 'Ingress' && select(obj, 'spec.rules[]').length === 0 && select(obj, 'spec.defaultBackend').length === 0) {
    problems.push('spec: either `defaultBackend` or `rules` must be specified');
  }
  if (WORKLOADS.includes(obj.kind)) {
    const selector = (select(obj, 'spec.selector.matchLabels')[0]?.value ?? {}) as Record<string, string>;
    const labels = (select(obj, 'spec.template.metadata.labels')[0]?.value ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries(selector)) {
      if (labels[k] !== v) problems.push(`spec.selector.matchLabels ${k}=${v} does not match the template's labels (\`selector\` does not match template \`labels\`)`);
    }
    const volumes = new Set(select(obj, `${POD}.volumes[].name`).map((h) => h.value));
    for (const c of [...select(obj, `${POD}.containers[]`), ...select(obj, `${POD}.initContainers[]`)]) {
      const container = c.value as JsonObject;
      for (const m of select(container, 'volumeMounts[].name')) if (!volumes.has(m.value)) problems.push(`${c.path}.volumeMounts: volume ${JSON.stringify(m.value)} not found`);
      const portNames = new Set(select(container, 'ports[].name').map((h) => h.value));
      for (const handler of ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle.preStop', 'lifecycle.postStart']) {
        for (const p of [...select(container, `${handler}.httpGet.port`), ...select(container, `${handler}.tcpSocket.port`)]) {
          if (typeof p.value === 'string' && !portNames.has(p.value)) problems.push(`${c.path}.${p.path}: port name ${JSON.stringify(p.value)} is not a port of the container`);
        }
      }
    }
  }
  return problems;
}

interface Hit {
  readonly path: string;
  readonly value: unknown;
  readonly key?: string;
}

/** The values at a dotted path: `[]` iterates a list, `{}` a map's entries (each hit carries the key). */
export function select(root: unknown, selector: string): Hit[] {
  let hits: Hit[] = [{ path: '', value: root }];
  for (const part of selector.split('.')) {
    const m = /^([^[{]*)(\[\]|\{\})?$/.exec(part)!;
    const [, name, iterate] = m;
    const next: Hit[] = [];
    for (const h of hits) {
      const value = name === '' ? h.value : isObject(h.value) ? h.value[name] : undefined;
      const path = name === '' ? h.path : h.path ? `${h.path}.${name}` : name;
      if (value === undefined) continue;
      if (iterate === '[]') {
        if (Array.isArray(value)) value.forEach((v, i) => next.push({ path: `${path}[${i}]`, value: v }));
      } else if (iterate === '{}') {
        if (isObject(value)) for (const [k, v] of Object.entries(value)) next.push({ path: `${path}[${JSON.stringify(k)}]`, value: v, key: k });
      } else {
        next.push({ path, value });
      }
    }
    hits = next;
  }
  return hits;
}
