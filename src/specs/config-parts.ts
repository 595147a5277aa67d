import { GatewayConfigSchema } from './config';

const shape = GatewayConfigSchema.shape;

/**
 * The schema of each part of `GatewayConfig`, as the one whole schema states it: each construct's
 * rendered part is parsed with its own (see src/constructs/config-builder.ts), so that a bad value
 * is reported at the construct and prop that set it.
 */
export const CONFIG_PART_SCHEMAS = {
  domain: shape.domains.element,
  backend: shape.backends.element,
  service: shape.services.element,
  serviceSource: shape.serviceSources.element,
  modelRoute: shape.modelRoutes.element,
  agentRoute: shape.agentRoutes.element,
  consumer: shape.consumers.element,
  mcpServer: shape.mcpServers.element,
  extension: shape.extensions.element,
  /** What a gateway renders itself (its children render the rest). */
  gatewayOwn: GatewayConfigSchema.pick({
    metadata: true,
    listeners: true,
    limits: true,
    waf: true,
    acceleration: true,
    observability: true,
    redis: true,
  }),
} as const;
