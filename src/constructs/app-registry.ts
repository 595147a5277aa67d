import { existsSync } from 'fs';
import { resolve } from 'path';
import { Annotations, Aspects, type IAspect, TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import { type GatewayConfig, sizeGateway } from '../specs';
import { buildGatewayConfig } from './config-builder';
import type { AiGatewayFleet } from './fleet';
import type { AiGateway } from './gateway';
import { type LockEntry, locateLockFile, readLock, writeLock } from './lock-file';
import type { McpServer } from './mcp-server';
import { openApiFileToTools, type OpenApiToolsResult } from './openapi-tools';
import { FleetResources } from './render/fleet-resources';
import { GatewayResources } from './render/gateway-resources';
import { FINAL_RULES, type Rule, RULES, type RuleContext } from './rules';
import { gatewayImageTag } from './rules/image-references';
import { serverlessScaling } from './serverless-scaling';
import { type Violation, violation } from './violation';

const REGISTRIES = new WeakMap<IConstruct, AppRegistry>();

/**
 * The App-wide step that runs once, just before synth: every rule over every fleet of the App,
 * then (only if all pass) rendering and the lock file. Each stack with a fleet reports the App's
 * violations, so the first stack to synthesize fails with all of them at once, each under the
 * path of its own stack.
 */
export class AppRegistry {
  public static of(scope: IConstruct): AppRegistry {
    const root = scope.node.root;
    let registry = REGISTRIES.get(root);
    if (!registry) {
      registry = new AppRegistry(root);
      REGISTRIES.set(root, registry);
    }
    return registry;
  }

  private readonly fleets: AiGatewayFleet[] = [];
  private readonly hookedStacks = new Set<TerraformStack>();
  private violations?: Violation[];
  private prepared = false;

  private constructor(private readonly root: IConstruct) {}

  public registerFleet(fleet: AiGatewayFleet): void {
    this.fleets.push(fleet);
    const stack = TerraformStack.of(fleet);
    if (this.hookedStacks.has(stack)) return;
    this.hookedStacks.add(stack);
    const prepare: IAspect = { visit: (node) => void (node === stack && this.prepare()) };
    Aspects.of(stack).add(prepare);
    stack.node.addValidation({ validate: () => this.validate(stack) });
  }

  /**
   * The stack's part of the App's report. cdktf prints each validation message under the path of
   * the stack that validates, and the first stack to fail stops synth: when other stacks have
   * violations too, they are thrown here all at once in cdktf's format, each under its own stack.
   */
  private validate(stack: TerraformStack): string[] {
    const violations = this.prepare();
    const stackOf = (v: Violation) => (v.construct ? TerraformStack.of(v.construct) : stack);
    if (violations.every((v) => stackOf(v) === stack)) return violations.map(formatViolation);
    const list = violations.map((v) => `[${stackOf(v).node.path}] ${formatViolation(v)}`).join('\n  ');
    throw new Error(`Validation failed with the following errors:\n  ${list}\n\nIf you wish to ignore these validations, pass 'skipValidation: true' to your App configuration.\n`);
  }

  /** True once the App has been prepared for synth: children added later are not rendered. */
  public get isPrepared(): boolean {
    return this.prepared;
  }

  /** Runs every rule once per App; renders and writes the lock only when none is violated. */
  public prepare(): Violation[] {
    if (this.violations) return this.violations;
    const gateways = this.fleets.flatMap((f) => f.gateways);
    const lock = readLock(locateLockFile(this.root));
    const openApi = new Map<McpServer, OpenApiToolsResult>();
    for (const g of gateways) {
      for (const m of g.children.mcpServers) {
        const file: unknown = m.props.kind === 'http-to-mcp' ? m.props.openApiFile : undefined;
        if (file === undefined) continue;
        openApi.set(m, typeof file === 'string' ? openApiFileToTools(resolve(file)) : { ok: false, reason: `openApiFile must be a path, found ${JSON.stringify(file)}` });
      }
    }
    const configs = new Map<AiGateway, { config?: GatewayConfig; error?: string }>();
    const ctx: RuleContext = {
      fleets: this.fleets,
      gateways,
      lock,
      openApi,
      fileExists: (p) => typeof p === 'string' && existsSync(resolve(p)),
      configOf: (g) => {
        let built = configs.get(g);
        if (!built) {
          try {
            built = { config: buildGatewayConfig(g, { openApi }) };
          } catch (e) {
            built = { error: (e as Error).message };
          }
          configs.set(g, built);
        }
        return built;
      },
    };
    const found = RULES.flatMap((rule) => runRule(rule, ctx));
    // The config schema judges only gateways nothing else faulted: their config would repeat those errors.
    const faulted = (g: AiGateway) => found.some((v) => v.path === g.node.path || v.path.startsWith(`${g.node.path}/`));
    const clean: RuleContext = { ...ctx, gateways: gateways.filter((g) => !faulted(g)) };
    const violations = [...found, ...FINAL_RULES.flatMap((rule) => runRule(rule, clean))];
    this.violations = violations;
    this.prepared = true;
    if (violations.length > 0) {
      // Also as error annotations: cdktf aborts on them even when validation is skipped, so a
      // broken App never synthesizes an empty plan that would delete running gateways.
      for (const v of violations) Annotations.of(v.construct ?? this.root).addError(`[${v.rule}] ${v.message}`);
      return violations;
    }

    const entries: Record<string, LockEntry> = { ...lock.entries };
    const fleetResources = new Map(this.fleets.map((fleet) => [fleet, new FleetResources(fleet, 'Resources', fleet)]));
    for (const g of gateways) {
      const imageTag = gatewayImageTag(g, lock.entries[g.node.path]);
      new GatewayResources(g, 'Resources', {
        gateway: g,
        config: ctx.configOf(g).config!,
        sizing: sizeGateway(g.edition, g.spec, serverlessScaling(g.fleet)),
        imageTag,
        fleetNamespaceRef: fleetResources.get(g.fleet)!.namespaceRef,
      });
      const before = lock.entries[g.node.path];
      if (before?.edition === 'dedicated' && g.spec && before.spec && before.spec !== g.spec) {
        Annotations.of(g).addInfo(`Gateway '${g.gatewayName}': spec changes from ${before.spec} to ${g.spec}.`);
      }
      entries[g.node.path] = { edition: g.edition, ...(g.spec && { spec: g.spec }), imageVersion: g.edition === 'dedicated' ? imageTag : before?.imageVersion ?? imageTag };
    }
    if (lock.path) writeLock(lock.path, entries);
    return violations;
  }
}

/**
 * A rule that throws on props it did not expect is a bug in the rule; report it with the others
 * instead of crashing synth. To name where, the rule is run again on each fleet and each gateway
 * alone: what passes alone keeps its violations, and what throws alone is reported at its path.
 */
function runRule(rule: Rule, ctx: RuleContext): Violation[] {
  try {
    return rule.check(ctx);
  } catch (whole) {
    const alone: [IConstruct, RuleContext][] = [
      ...ctx.fleets.map((f): [IConstruct, RuleContext] => [f, { ...ctx, fleets: [f], gateways: [] }]),
      ...ctx.gateways.map((g): [IConstruct, RuleContext] => [g, { ...ctx, fleets: [], gateways: [g] }]),
    ];
    let named = false;
    const found = alone.flatMap(([construct, one]) => {
      try {
        return rule.check(one);
      } catch (e) {
        named = true;
        return [
          violation(
            rule.id,
            construct,
            `${construct.node.path}: rule '${rule.id}' could not check it (${(e as Error).message}): a prop has a value of an unexpected type. Check its props against their types; report this if it persists.`,
          ),
        ];
      }
    });
    if (named) return found;
    return [...found, { rule: rule.id, path: '', message: `rule '${rule.id}' could not check the App as a whole (${(whole as Error).message}); report this.` }];
  }
}

function formatViolation(v: Violation): string {
  return `[${v.rule}] ${v.message}`;
}
