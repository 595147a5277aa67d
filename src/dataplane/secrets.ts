import { readFileSync } from 'fs';
import { secretFilePath, type SecretRef } from '../specs';

/** Where secret values come from: the mounted Secret files, or environment variables for local use. */
export interface SecretSource {
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
    private readonly dir: string | undefined,
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
