import type { ExtensionDefinition, ExtensionPhase } from './types';

/** A built-in extension (both editions): its module and where it runs unless the construct says otherwise. */
export interface SystemExtension {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry has its own config type
  readonly definition: ExtensionDefinition<any>;
  readonly description: string;
  /** The phase it runs in unless the construct sets one. */
  readonly phase: ExtensionPhase;
  /** Its priority within the phase unless the construct sets one (higher runs first). */
  readonly priority: number;
  /**
   * What a failure of its hooks does to the request unless the construct says otherwise: `closed` for what guards
   * (authentication, authorization, content rules), `open` for what only observes or saves work (statistics, caches,
   * audit lines), so that a Redis blip or a bug there does not fail traffic.
   */
  readonly failPolicy: 'open' | 'closed';
  /** Its async hooks' budget unless the construct sets one (what waits on Redis round trips needs more than the default 50 ms). @default 50 */
  readonly asyncBudgetMs?: number;
}

/** One version of a marketplace extension (Dedicated gateways), shipped and versioned with the package. */
export interface MarketplaceManifest extends SystemExtension {
  readonly name: string;
  /** Semver, e.g. `1.0.0`. */
  readonly version: string;
  /** The editions it may be installed on. */
  readonly editions: readonly ('serverless' | 'dedicated')[];
}
