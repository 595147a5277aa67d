import { type GatewayConfig, REQUEST_LABEL_ABSENT, REQUEST_LABEL_OTHER, type RequestLabelConfig } from '../specs';
import type { RequestContext } from './request-context';

/** One request label, ready to read: where its value comes from, and the values kept as they are. */
interface CompiledRequestLabel {
  readonly name: string;
  readonly header: string | undefined;
  readonly consumerAttribute: string | undefined;
  readonly kept: ReadonlySet<string>;
}

/**
 * The config's `observability.requestLabels`, compiled at load: each request's values are one header
 * read or attribute lookup per label, mapped onto the declared values (`other` for any other, `none`
 * for a missing one), so the series a client can create are the ones the config declares.
 */
export class RequestLabels {
  public static compile(config: GatewayConfig): RequestLabels | undefined {
    const labels = config.observability.requestLabels ?? [];
    return labels.length === 0 ? undefined : new RequestLabels(labels.map(compileLabel));
  }

  private constructor(private readonly labels: readonly CompiledRequestLabel[]) {}

  /** The labels' names, in config order. */
  public get names(): string[] {
    return this.labels.map((l) => l.name);
  }

  /**
   * The values for the label names the metrics were built with (`names`: those of the config the
   * process started with; a label a reload removed is `none`, one it added waits for a restart).
   */
  public valuesOf(ctx: RequestContext, names: readonly string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of names) {
      const label = this.labels.find((l) => l.name === name);
      out[name] = label ? valueOf(label, ctx) : REQUEST_LABEL_ABSENT;
    }
    return out;
  }
}

function compileLabel(label: RequestLabelConfig): CompiledRequestLabel {
  return { name: label.name, header: label.header, consumerAttribute: label.consumerAttribute, kept: new Set(label.values) };
}

function valueOf(label: CompiledRequestLabel, ctx: RequestContext): string {
  let raw: string | undefined;
  if (label.header !== undefined) {
    // HTTP/2 names the host in `:authority` (RFC 9113 §8.3.1): a label read from Host reads it there.
    const header = ctx.req.headers[label.header] ?? (label.header === 'host' ? ctx.req.headers[':authority'] : undefined);
    raw = Array.isArray(header) ? header[0] : header;
  } else {
    raw = ctx.caller.kind === 'consumer' ? ctx.caller.consumer.attributes?.[label.consumerAttribute!] : undefined;
  }
  if (raw === undefined || raw === '') return REQUEST_LABEL_ABSENT;
  return label.kept.has(raw) ? raw : REQUEST_LABEL_OTHER;
}
