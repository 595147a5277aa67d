import type { SystemExtension } from '../catalog-types';
import { AI_CACHE } from './ai-cache';
import type { AiCacheConfig } from './ai-cache';
import { AI_STATISTICS } from './ai-statistics';
import type { AiStatisticsConfig } from './ai-statistics';
import { CONTENT_GUARD } from './content-guard';
import type { ContentGuardConfig } from './content-guard';
import { HEADER_TRANSFORM } from './header-transform';
import type { HeaderTransformConfig } from './header-transform';
import { IP_RESTRICTION } from './ip-restriction';
import type { IpRestrictionConfig } from './ip-restriction';
import { MODEL_MAPPER } from './model-mapper';
import type { ModelMapperConfig } from './model-mapper';
import { PROMPT_DECORATOR } from './prompt-decorator';

import type { PromptDecoratorConfig } from './prompt-decorator';

export type { AiCacheConfig, ParsedAiCacheConfig } from './ai-cache';
export type { AiStatisticsConfig, ParsedAiStatisticsConfig } from './ai-statistics';
export type { ContentGuardConfig, ParsedContentGuardConfig } from './content-guard';
export type { HeaderTransformConfig, ParsedHeaderTransformConfig } from './header-transform';
export type { IpRestrictionConfig, ParsedIpRestrictionConfig } from './ip-restriction';
export type { ModelMapperConfig, ParsedModelMapperConfig } from './model-mapper';
export type { PromptDecoratorConfig, ParsedPromptDecoratorConfig } from './prompt-decorator';

/** Each system extension's config, by name: what the constructs type `config` with. */
export interface SystemExtensionConfigs {
  'ip-restriction': IpRestrictionConfig;
  'content-guard': ContentGuardConfig;
  'ai-statistics': AiStatisticsConfig;
  'model-mapper': ModelMapperConfig;
  'prompt-decorator': PromptDecoratorConfig;
  'header-transform': HeaderTransformConfig;
  'ai-cache': AiCacheConfig;
}

export type SystemExtensionName = keyof SystemExtensionConfigs;

/**
 * The system extensions, built in on both editions, by name. In the order they run by default: ip-restriction
 * (authn), content-guard (authz), ai-statistics (stats), then model-mapper, prompt-decorator, header-transform and
 * ai-cache (default, by descending priority).
 */
export const SYSTEM_EXTENSIONS: Readonly<Record<string, SystemExtension>> & { readonly [N in SystemExtensionName]: SystemExtension } = {
  'ip-restriction': IP_RESTRICTION,
  'content-guard': CONTENT_GUARD,
  'ai-statistics': AI_STATISTICS,
  'model-mapper': MODEL_MAPPER,
  'prompt-decorator': PROMPT_DECORATOR,
  'header-transform': HEADER_TRANSFORM,
  'ai-cache': AI_CACHE,
};
