import { MAX_GATEWAYS_PER_REGION } from '../../specs';
import type { AiGatewayFleet } from '../fleet';
import { finding } from '../violation';
import type { Rule } from './context';

export const regionLimitRule: Rule = {
  id: 'region-limit',
  description: `At most ${MAX_GATEWAYS_PER_REGION} gateways per region, counted over every fleet in the App.`,
  level: 'error',
  errors: { suppressible: false, because: `a region runs at most ${MAX_GATEWAYS_PER_REGION} gateways (the catalog): the gateways beyond it would not be provisioned` },
  check: (ctx) => {
    const byRegion = new Map<string, AiGatewayFleet[]>();
    for (const fleet of ctx.fleets) byRegion.set(fleet.region, [...(byRegion.get(fleet.region) ?? []), fleet]);
    return [...byRegion].flatMap(([region, fleets]) => {
      const total = fleets.reduce((n, f) => n + f.gateways.length, 0);
      if (total <= MAX_GATEWAYS_PER_REGION) return [];
      const breakdown = fleets.map((f) => `${f.node.path} (${f.gateways.length})`).join(', ');
      return [
        finding(
          fleets[fleets.length - 1],
          `Region '${region}': at most ${MAX_GATEWAYS_PER_REGION} gateways per region, found ${total} in ${breakdown}. Remove ${total - MAX_GATEWAYS_PER_REGION}, or move them to a fleet in another region.`,
        ),
      ];
    });
  },
};
