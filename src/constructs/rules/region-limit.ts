import { MAX_GATEWAYS_PER_REGION } from '../../specs';
import type { AiGatewayFleet } from '../fleet';
import { violation } from '../violation';
import type { Rule } from './context';

export const regionLimitRule: Rule = {
  id: 'region-limit',
  description: `At most ${MAX_GATEWAYS_PER_REGION} gateways per region, counted over every fleet in the App.`,
  check: (ctx) => {
    const byRegion = new Map<string, AiGatewayFleet[]>();
    for (const fleet of ctx.fleets) byRegion.set(fleet.region, [...(byRegion.get(fleet.region) ?? []), fleet]);
    return [...byRegion].flatMap(([region, fleets]) => {
      const total = fleets.reduce((n, f) => n + f.gateways.length, 0);
      if (total <= MAX_GATEWAYS_PER_REGION) return [];
      const breakdown = fleets.map((f) => `${f.node.path} (${f.gateways.length})`).join(', ');
      return [
        violation(
          'region-limit',
          fleets[fleets.length - 1],
          `Region '${region}': at most ${MAX_GATEWAYS_PER_REGION} gateways per region, found ${total} in ${breakdown}. Remove ${total - MAX_GATEWAYS_PER_REGION}, or move them to a fleet in another region.`,
        ),
      ];
    });
  },
};
