/**
 * Compile-time tests of the observability props. Type-checked by `tsc --noEmit -p test/tsconfig.json`, never run.
 * Each `// @ts-expect-error` has a positive control next to it that must compile.
 */
import { App, TerraformStack } from 'cdktf';
import { AiGatewayFleet, Backend } from 'cdktf-ai-gateway';

const fleet = new AiGatewayFleet(new TerraformStack(new App(), 'types'), 'fleet', { region: 'cn-hangzhou' });

// Positive control: request labels, access-log fields and monitoring on a Dedicated gateway.
export const dedicated = fleet.addGateway('d', {
  edition: 'dedicated',
  spec: 'aigw.small.x1',
  observability: {
    requestLabels: [{ name: 'tenant', header: 'x-tenant', values: ['acme'] }],
    accessLogFields: ['status', 'route', 'protocol'],
    grafanaDashboard: true,
  },
});

// Custom observability is the Dedicated tier's (the catalog's monitoring feature): a Serverless gateway has none.
// @ts-expect-error observability is not a Serverless prop
fleet.addGateway('s', { edition: 'serverless', observability: { requestLabels: [] } });

// @ts-expect-error an access-log field that does not exist
fleet.addGateway('d2', { edition: 'dedicated', spec: 'aigw.small.x1', observability: { accessLogFields: ['prompt'] } });

// A route's payload log: true, or its bound and redactions.
dedicated.addModelRoute('r', { models: [{ name: 'm', targets: [{ backend: Backend.openAi() }] }], logPayloads: { maxBytes: 4096, redact: ['\\d{16}'] } });
// @ts-expect-error redact takes patterns, not one string
dedicated.addModelRoute('r2', { models: [{ name: 'm', targets: [{ backend: Backend.openAi() }] }], logPayloads: { redact: '\\d{16}' } });
