/**
 * `Omit` applied to each member of a union: plain `Omit` over a discriminated union (e.g. the props
 * of each `kind` of UpstreamService) keeps only the keys common to all members, losing the union.
 */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
