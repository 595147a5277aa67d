/** A construct id turned into a Kubernetes-friendly name: lowercase, `[a-z0-9-]`, trimmed. */
export function toK8sName(id: string): string {
  return id
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63) || 'x';
}

/** True for an RFC 1123 DNS label (namespaces, Service names): at most 63 characters. */
export function isDnsLabel(name: string): boolean {
  return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name);
}
