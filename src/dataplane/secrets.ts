import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import { secretFilePath, type SecretRef } from '../specs';

/** Where secret values come from: the mounted Secret files, or environment variables for local use. */
export interface SecretSource {
  /** The mounted Secrets directory (`<dir>/<secretName>/<key>`), if any: watched for rotation. */
  readonly dir?: string;
  /** The value, or undefined when it is nowhere to be found. */
  read(ref: SecretRef): string | undefined;
  /** Where a missing secret was looked for, for error messages. */
  describe(ref: SecretRef): string;
}

/** `AIGW_SECRET_<SECRETNAME>_<KEY>`, upper-cased, non-alphanumerics as `_`: `llm-keys/openai` → `AIGW_SECRET_LLM_KEYS_OPENAI`. */
export function secretEnvName(ref: SecretRef): string {
  return `AIGW_SECRET_${ref.secretName}_${ref.key}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

export class FileAndEnvSecrets implements SecretSource {
  public constructor(
    public readonly dir: string | undefined,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  public read(ref: SecretRef): string | undefined {
    const fromEnv = this.env[secretEnvName(ref)];
    if (fromEnv !== undefined) return fromEnv;
    if (!this.dir) return undefined;
    try {
      // Secret files often end in a newline that is not part of the value.
      return readFileSync(secretFilePath(this.dir, ref.secretName, ref.key), 'utf8').replace(/\r?\n$/, '');
    } catch {
      return undefined;
    }
  }

  public describe(ref: SecretRef): string {
    const file = this.dir ? `${secretFilePath(this.dir, ref.secretName, ref.key)} or ` : '';
    return `${file}$${secretEnvName(ref)}`;
  }
}

/**
 * A SecretSource that remembers a digest of each value it read. A snapshot is compiled through
 * one, so a reload of an unchanged config can tell whether a key it uses was rotated (and only
 * then recompile); the digests never leave the process and no value is kept.
 */
export class RecordingSecrets implements SecretSource {
  private readonly digests = new Map<string, { ref: SecretRef; digest: string }>();

  public constructor(private readonly source: SecretSource) {}

  public get dir(): string | undefined {
    return this.source.dir;
  }

  public read(ref: SecretRef): string | undefined {
    const value = this.source.read(ref);
    this.digests.set(`${ref.secretName}/${ref.key}`, { ref, digest: digestOf(value) });
    return value;
  }

  public describe(ref: SecretRef): string {
    return this.source.describe(ref);
  }

  /** The Secret keys read whose value in `source` is now another one (or gone, or new). */
  public changedIn(source: SecretSource): string[] {
    return [...this.digests].filter(([, read]) => digestOf(source.read(read.ref)) !== read.digest).map(([name]) => name);
  }
}

function digestOf(value: string | undefined): string {
  return value === undefined ? '-' : createHash('sha256').update(value, 'utf8').digest('hex');
}
