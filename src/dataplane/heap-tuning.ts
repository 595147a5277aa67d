import { setFlagsFromString } from 'v8';

/**
 * V8 settings for a long-running proxy process, applied once at `aigw serve` startup.
 *
 * `--no-allocation-site-pretenuring`: V8 watches which allocation sites produce objects that survive
 * young-generation GCs and, past a threshold, allocates everything from those sites directly in the
 * old generation. A proxy under a burst (a warm-up, a traffic spike with many requests in flight)
 * trips that for its per-request objects, which then live in old space long after the burst: every
 * request's garbage goes to the old generation, young GCs get slower and full GCs frequent. In the
 * data-plane benchmark (BENCHMARKS.md, 1,500 req/s open loop after a saturating warm-up) it tripled
 * the bytes promoted per young GC and doubled their pause. A per-request object here never needs to
 * be old; the flag keeps them young.
 *
 * Set at run time (not on the node command line) so that every way of starting the data plane
 * (the image's entrypoint, `aigw dev`, a test process) runs the same way. V8 reads this flag when it
 * makes a pretenuring decision, during GC, so setting it before traffic arrives is enough.
 */
export const DATA_PLANE_V8_FLAGS = ['--no-allocation-site-pretenuring'] as const;

export function applyHeapTuning(): void {
  for (const flag of DATA_PLANE_V8_FLAGS) setFlagsFromString(flag);
}
