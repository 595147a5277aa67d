/** A key of a Kubernetes Secret. Only references are synthesized, never values. */
export interface SecretRef {
  /** The Secret's name, in the gateway's namespace. */
  readonly secretName: string;
  /** The key inside the Secret. */
  readonly key: string;
}
