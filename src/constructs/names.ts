/**
 * Kubernetes names, as the API server checks them (k8s.io/apimachinery/pkg/util/validation), and
 * the container image reference grammar (github.com/distribution/reference). Stated once, so that
 * the rules refuse at synth exactly what the cluster or the registry would refuse at apply.
 */

/** The most characters of a DNS label, a label value and the name part of a qualified name. */
export const DNS_LABEL_MAX = 63;
/** The most characters of a DNS subdomain (object names, annotation key prefixes, hosts). */
export const DNS_SUBDOMAIN_MAX = 253;
/** The most bytes of all annotations of one object, keys and values together (256 KiB). */
export const ANNOTATIONS_TOTAL_MAX_BYTES = 256 * 1024;
/** The most characters of an image tag. */
export const IMAGE_TAG_MAX = 128;
/** The most characters of an image repository name (registry host included). */
export const IMAGE_REPOSITORY_MAX = 255;

/**
 * A construct id turned into a Kubernetes-friendly name: lowercase, `[a-z0-9-]`, at most 63
 * characters, starting and ending alphanumeric (trimmed after the cut, so that it stays a valid
 * label value).
 */
export function toK8sName(id: string): string {
  return (
    id
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+/, '')
      .slice(0, DNS_LABEL_MAX)
      .replace(/-+$/, '') || 'x'
  );
}

/** True for an RFC 1123 DNS label (namespaces): at most 63 characters. */
export function isDnsLabel(name: string): boolean {
  return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name);
}

/** True for an RFC 1035 DNS label (Service names): a DNS label that starts with a letter. */
export function isDns1035Label(name: string): boolean {
  return /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name);
}

/** True for an RFC 1123 DNS subdomain (most object names, IngressClass and Secret names): at most 253 characters. */
export function isDnsSubdomain(name: string): boolean {
  return typeof name === 'string' && name.length <= DNS_SUBDOMAIN_MAX && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name);
}

/** True for a label value: empty, or at most 63 characters of `[-A-Za-z0-9_.]` starting and ending alphanumeric. */
export function isLabelValue(value: string): boolean {
  return value.length <= DNS_LABEL_MAX && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(value);
}

/** True for a label or annotation key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export function isQualifiedName(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1];
  if (parts.length === 2 && (parts[0] === '' || !isDnsSubdomain(parts[0]))) return false;
  return name.length >= 1 && name.length <= DNS_LABEL_MAX && /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(name);
}

/** True for an IPv4 or IPv6 address (an Ingress host must be a DNS name, not one of these). */
export function isIpAddress(host: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return host.split('.').every((n) => Number(n) <= 255);
  return host.includes(':') && /^[0-9A-Fa-f:.]+$/.test(host);
}

/** True for an image tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. */
export function isImageTag(tag: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag);
}

/**
 * True for an image repository as a registry resolves it: an optional registry `host[:port]`,
 * then `/`-separated lowercase path components (`[a-z0-9]+` joined by `.`, `_`, `__` or dashes).
 * No tag or digest: the tag is added from the version.
 */
export function isImageRepository(repository: string): boolean {
  if (repository.length === 0 || repository.length > IMAGE_REPOSITORY_MAX) return false;
  const parts = repository.split('/');
  // Like docker: the first component is a registry only if it has a '.' or ':' or is localhost.
  const hasRegistry = parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost');
  const registry = hasRegistry ? parts.shift()! : undefined;
  if (registry !== undefined && !isRegistryHost(registry)) return false;
  return parts.every((p) => /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/.test(p));
}

function isRegistryHost(host: string): boolean {
  const component = '([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
  return new RegExp(`^(${component}(\\.${component})*|\\[[0-9A-Fa-f:.]+\\])(:[0-9]+)?$`).test(host);
}
