import { existsSync } from 'fs';
import { resolve } from 'path';
import { Annotations, Aspects, type IAspect, TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import { sizeGateway } from '../specs';
import { type BuiltConfig, buildGatewayConfig } from './config-builder';
import type { AiGatewayFleet } from './fleet';
import type { AiGateway } from './gateway';
import { gatewayImageTag } from './image-tag';
import { type LockEntry, locateLockFile, readLock, writeLock } from './lock-file';
import type { McpServer } from './mcp-server';
import { openApiFileToTools, type OpenApiToolsResult } from './openapi-tools';
import { FleetResources } from './render/fleet-resources';
import { GatewayResources } from './render/gateway-resources';
import { FINAL_RULES, RULES, type RuleContext } from './rules';
import { type RuleReport, runRules } from './rules/runner';
import { serverlessScaling } from './serverless-scaling';
import { recordSuppressions } from './suppressions';
import type { Violation } from './violation';

const REGISTRIES = new WeakMap<IConstruct, AppRegistry>();

/**
 * The App-wide step that runs once, just before synth: every rule over every fleet of the App,
 * then (only if no error remains) rendering and the lock file. Each stack with a fleet reports the
 * App's errors, so the first stack to synthesize fails with all of them at once, each under the
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
  private errors?: Violation[];
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

  /**
   * Once per App: collect what the rules look at, run them, and only when no error remains,
   * render, record what suppressions silenced, and write the lock. Returns the errors.
   */
  public prepare(): Violation[] {
    if (this.errors) return this.errors;
    const ctx = this.collect();
    const report = this.check(ctx);
    const errors = report.violations.filter((v) => v.level === 'error');
    this.errors = errors;
    this.prepared = true;
    this.annotate(report.violations);
    if (errors.length > 0) return errors;
    this.render(ctx);
    recordSuppressions(report.suppressed);
    this.lock(ctx);
    return errors;
  }

  /** What the rules look at: the App's gateways, the lock as read, OpenAPI files as converted, and each config built once. */
  private collect(): RuleContext {
    const gateways = this.fleets.flatMap((f) => f.gateways);
    const openApi = new Map<McpServer, OpenApiToolsResult>();
    for (const g of gateways) {
      for (const m of g.children.mcpServers) {
        const file: unknown = m.kind === 'http-to-mcp' ? m.openApiFile : undefined;
        if (file === undefined) continue;
        openApi.set(m, typeof file === 'string' ? openApiFileToTools(resolve(file)) : { ok: false, reason: `openApiFile must be a path, found ${JSON.stringify(file)}` });
      }
    }
    const configs = new Map<AiGateway, BuiltConfig>();
    return {
      fleets: this.fleets,
      gateways,
      lock: readLock(locateLockFile(this.root)),
      openApi,
      fileExists: (p) => typeof p === 'string' && existsSync(resolve(p)),
      configOf: (g) => {
        let built = configs.get(g);
        if (!built) {
          built = buildGatewayConfig(g, { openApi });
          configs.set(g, built);
        }
        return built;
      },
    };
  }

  /**
   * Every rule, then the final ones (the config schema's findings on each construct's part) in the
   * same run: all are reported at once, except a final finding on a construct another rule already
   * reported an error on, which would only say the same thing again (a bad URL, host or name).
   */
  private check(ctx: RuleContext): RuleReport {
    const first = runRules(RULES, ctx);
    const faulted = new Set(first.violations.filter((v) => v.level === 'error').map((v) => v.path));
    const final = runRules(FINAL_RULES, ctx);
    return {
      violations: [...first.violations, ...final.violations.filter((v) => !faulted.has(v.path))],
      suppressed: [...first.suppressed, ...final.suppressed],
    };
  }

  /**
   * Each finding as an annotation on its construct. Errors too: cdktf aborts on them even when
   * validation is skipped, so a broken App never synthesizes an empty plan that would delete
   * running gateways.
   */
  private annotate(violations: readonly Violation[]): void {
    for (const v of violations) {
      const on = Annotations.of(v.construct ?? this.root);
      if (v.level === 'error') on.addError(formatViolation(v));
      else if (v.level === 'warning') on.addWarning(formatViolation(v));
      // An info is a note, not something to fix or suppress: printed as its message alone.
      else on.addInfo(v.message);
    }
  }

  /** The fleets' shared resources and each gateway's own, from its built config and sizing. */
  private render(ctx: RuleContext): void {
    const fleetResources = new Map(this.fleets.map((fleet) => [fleet, new FleetResources(fleet, 'Resources', fleet)]));
    for (const g of ctx.gateways) {
      new GatewayResources(g, 'Resources', {
        gateway: g,
        config: ctx.configOf(g).config!,
        sizing: sizeGateway(g.edition, g.spec, serverlessScaling(g.fleet)),
        imageTag: gatewayImageTag(g, ctx.lock.entries[g.node.path]),
        fleetNamespaceRef: fleetResources.get(g.fleet)!.namespaceRef,
      });
    }
  }

  /** Records each gateway's edition, spec and image version: a Dedicated gateway's pinned tag; a Serverless one keeps what was first recorded (its channel floats). */
  private lock(ctx: RuleContext): void {
    if (!ctx.lock.path) return;
    const entries: Record<string, LockEntry> = { ...ctx.lock.entries };
    for (const g of ctx.gateways) {
      const before = ctx.lock.entries[g.node.path];
      const imageTag = gatewayImageTag(g, before);
      entries[g.node.path] = { edition: g.edition, ...(g.spec && { spec: g.spec }), imageVersion: g.edition === 'dedicated' ? imageTag : before?.imageVersion ?? imageTag };
    }
    writeLock(ctx.lock.path, entries);
  }
}

function formatViolation(v: Violation): string {
  return `[${v.rule}] ${v.message}`;
}
