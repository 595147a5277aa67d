import { constants, setEngine } from 'crypto';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import type { AccelerationPaths } from './paths';

/** What offloads one feature to QAT, or what is missing for it. */
export type Offload = { ok: true; how: string } | { ok: false; missing: string };

export interface TlsOffloadOptions {
  /** The OpenSSL engine tried when no provider is configured. @default 'qatengine' */
  readonly engineId?: string;
  /** Sets OpenSSL's default engine for all methods. @default crypto.setEngine */
  readonly loadEngine?: (id: string) => void;
}

/** The QAT provider's module, as Intel's qat_engine project builds it for OpenSSL 3. */
const PROVIDER_MODULE = 'qatprovider.so';

/**
 * Offloads TLS to QAT (only called when a QAT device is present): through the QAT provider when the
 * OpenSSL config Node loaded at start activates it (nothing to do: OpenSSL uses it from the first
 * handshake), else by setting the QAT engine as OpenSSL's default engine now, before any listener
 * or TLS context exists. Node has no API that lists loaded providers, so the provider is judged by
 * the config file and the module file, the two things OpenSSL needs.
 */
export function offloadTls(paths: AccelerationPaths, options: TlsOffloadOptions = {}): Offload {
  const provider = qatProvider(paths);
  if (provider.ok) return provider;
  const engineId = options.engineId ?? 'qatengine';
  try {
    (options.loadEngine ?? ((id: string) => setEngine(id, constants.ENGINE_METHOD_ALL)))(engineId);
    return { ok: true, how: `QAT engine '${engineId}' set as OpenSSL's default engine (crypto.setEngine)` };
  } catch (e) {
    return { ok: false, missing: `no OpenSSL QAT provider or engine: ${provider.missing}; engine '${engineId}' not loadable (${(e as Error).message}; OPENSSL_ENGINES names its directory)` };
  }
}

function qatProvider(paths: AccelerationPaths): Offload {
  const conf = paths.opensslConfig;
  if (conf === undefined) return { ok: false, missing: 'OPENSSL_CONF unset (nor --openssl-config)' };
  let text: string;
  try {
    // Comments are not settings: a commented-out provider line must not count (OpenSSL's `#` starts one anywhere on a line).
    text = readFileSync(conf, 'utf8')
      .split('\n')
      .map((line) => line.replace(/#.*$/, ''))
      .join('\n');
  } catch (e) {
    return { ok: false, missing: `OpenSSL config ${conf} unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  const section = paths.opensslSharedConfig ? 'openssl_conf' : 'nodejs_conf';
  // Node applies only this section of the file (nodejs_conf unless --openssl-shared-config).
  if (!new RegExp(`^\\s*${section}\\s*=`, 'm').test(text)) return { ok: false, missing: `OpenSSL config ${conf} has no '${section}' section, the one Node applies` };
  if (!/qatprovider/.test(text) || !/^\s*activate\s*=\s*(1|yes|true|on)\s*$/im.test(text)) {
    return { ok: false, missing: `OpenSSL config ${conf} does not activate qatprovider` };
  }
  const declared = /^\s*module\s*=\s*(\S+)\s*$/m.exec(text)?.[1];
  const module = declared ?? (paths.opensslModules ? join(paths.opensslModules, PROVIDER_MODULE) : undefined);
  if (module === undefined) return { ok: false, missing: `OpenSSL config ${conf} names no module and OPENSSL_MODULES is unset` };
  if (!existsSync(module)) return { ok: false, missing: `QAT provider module ${module} not found` };
  return { ok: true, how: `QAT provider ${module}, activated by OpenSSL config ${conf} at process start` };
}
