import { AUDIT_LOG_1_0_0 } from './audit-log';
import { HMAC_AUTH_1_0_0, HMAC_AUTH_1_1_0 } from './hmac-auth';
import { JSON_SCHEMA_GUARD_1_0_0 } from './json-schema-guard';
import { PII_REDACTION_1_0_0 } from './pii-redaction';
import type { MarketplaceManifest } from '../catalog-types';

/**
 * The marketplace catalog: every version of every vetted extension, shipped with the package. A version, once
 * shipped, is never changed: a change is a new version, so that a gateway pinned to one keeps its behaviour.
 */
export const MARKETPLACE: readonly MarketplaceManifest[] = [
  PII_REDACTION_1_0_0,
  JSON_SCHEMA_GUARD_1_0_0,
  HMAC_AUTH_1_0_0,
  HMAC_AUTH_1_1_0,
  AUDIT_LOG_1_0_0,
];

/** The manifest of `name` at `version` (the latest when no version is given); undefined when the catalog lacks it. */
export function findMarketplaceExtension(name: string, version?: string): MarketplaceManifest | undefined {
  const versions = MARKETPLACE.filter((m) => m.name === name);
  if (version !== undefined) return versions.find((m) => m.version === version);
  return versions.sort((a, b) => compareVersions(b.version, a.version))[0];
}

/** The versions the catalog has of `name`, newest first: what a synth error lists. */
export function marketplaceVersions(name: string): string[] {
  return MARKETPLACE.filter((m) => m.name === name)
    .map((m) => m.version)
    .sort((a, b) => compareVersions(b, a));
}

/** The names in the catalog, sorted: what a synth error lists for a name it lacks. */
export function marketplaceNames(): string[] {
  return [...new Set(MARKETPLACE.map((m) => m.name))].sort();
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}
