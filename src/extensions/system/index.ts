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
import { KEY_AUTH } from './key-auth';
import type { KeyAuthConfig } from './key-auth';
import { MODEL_MAPPER } from './model-mapper';
import type { ModelMapperConfig } from './model-mapper';
import { PROMPT_DECORATOR } from './prompt-decorator';
import type { PromptDecoratorConfig } from './prompt-decorator';
import { TOKEN_QUOTA } from './token-quota';
import type { TokenQuotaConfig } from './token-quota';

export type { AiCacheConfig, ParsedAiCacheConfig } from './ai-cache';
export type { AiStatisticsConfig, ParsedAiStatisticsConfig } from './ai-statistics';
export type { ContentGuardConfig, ParsedContentGuardConfig } from './content-guard';
export type { HeaderTransformConfig, ParsedHeaderTransformConfig } from './header-transform';
export type { IpRestrictionConfig, ParsedIpRestrictionConfig } from './ip-restriction';
export type { KeyAuthConfig, ParsedKeyAuthConfig } from './key-auth';
export type { ModelMapperConfig, ParsedModelMapperConfig } from './model-mapper';
export type { PromptDecoratorConfig, ParsedPromptDecoratorConfig } from './prompt-decorator';
export type { TokenQuotaConfig, ParsedTokenQuotaConfig } from './token-quota';

/** Each system extension's config, by name: what the constructs type `config` with. */
export interface SystemExtensionConfigs {
  'ip-restriction': IpRestrictionConfig;
  'key-auth': KeyAuthConfig;
  'content-guard': ContentGuardConfig;
  'token-quota': TokenQuotaConfig;
  'ai-statistics': AiStatisticsConfig;
  'model-mapper': ModelMapperConfig;
  'prompt-decorator': PromptDecoratorConfig;
  'header-transform': HeaderTransformConfig;
  'ai-cache': AiCacheConfig;
}

export type SystemExtensionName = keyof SystemExtensionConfigs;

/**
 * The system extensions, built in on both editions, by name. In the order they run by default: ip-restriction and
 * key-auth (authn), content-guard and token-quota (authz), ai-statistics (stats), then model-mapper, prompt-decorator,
 * header-transform and ai-cache (default, by descending priority).
 */
export const SYSTEM_EXTENSIONS: Readonly<Record<string, SystemExtension>> & { readonly [N in SystemExtensionName]: SystemExtension } = {
  'ip-restriction': IP_RESTRICTION,
  'key-auth': KEY_AUTH,
  'content-guard': CONTENT_GUARD,
  'token-quota': TOKEN_QUOTA,
  'ai-statistics': AI_STATISTICS,
  'model-mapper': MODEL_MAPPER,
  'prompt-decorator': PROMPT_DECORATOR,
  'header-transform': HEADER_TRANSFORM,
  'ai-cache': AI_CACHE,
};
