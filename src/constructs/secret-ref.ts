// The constructs take the config contract's SecretRef, so the two cannot drift apart.
export type { SecretRef } from '../specs';
