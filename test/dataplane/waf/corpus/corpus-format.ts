/**
 * The shape of the WAF test corpus (attacks.json, benign.json). The engine's
 * detection test and the corpus validation test both read the files through
 * these types, so a change here is a change to both.
 */

export const ATTACK_FAMILIES = ['sqli', 'xss', 'traversal', 'cmdi', 'protocol', 'prompt-injection'] as const;
export type AttackFamily = typeof ATTACK_FAMILIES[number];

/** Where the test puts a payload in a request (see README.md in this folder). */
export const ATTACK_LOCATIONS = ['query', 'path', 'header:user-agent', 'header:referer', 'cookie', 'body:user', 'body:metadata', 'message'] as const;
export type AttackLocation = typeof ATTACK_LOCATIONS[number];

export interface AttackSource {
  readonly list: 'PayloadsAllTheThings';
  readonly file: string;
  readonly commit: string;
  readonly licence: 'MIT';
}

export interface AttackEntry {
  readonly id: string;
  readonly family: AttackFamily;
  /** A key of `sources`, or 'hand-written'. */
  readonly source: string;
  readonly payload: string;
  readonly at: AttackLocation;
}

export interface AttackCorpus {
  readonly sources: Record<string, AttackSource>;
  readonly entries: readonly AttackEntry[];
}

export type BenignKind = 'chat-prompt' | 'request';

export interface BenignRequest {
  readonly method: string;
  readonly path: string;
  /** Raw query string, without the leading '?'. */
  readonly query?: string;
  /** Lower-case header names. */
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

export interface BenignEntry {
  readonly id: string;
  readonly kind: BenignKind;
  readonly description: string;
  readonly request: BenignRequest;
}

export interface BenignCorpus {
  readonly entries: readonly BenignEntry[];
}
