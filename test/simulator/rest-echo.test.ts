import { join } from 'node:path';
import { startSimulator } from './helpers';
import { openApiFileToTools } from '../../src/constructs/openapi-tools';
import { parseSimulatorArgs } from '../../src/simulator/main';

const WEATHER_OPENAPI = join(__dirname, '..', '..', 'examples', 'fleet', 'weather-api.yaml');

describe('restEcho: a REST call the simulator does not simulate gets a JSON echo of what it received', () => {
  test('method, path, query, headers without credentials, and the JSON body', async () => {
    const sim = await startSimulator({ restEcho: true });
    const res = await fetch(`${sim.url}/v1/things/42?verbose=yes&page=2`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        'authorization': 'Bearer sk-secret',
        'x-api-key': 'k1',
        'api-key': 'k2',
        'cookie': 'session=s3',
        'proxy-authorization': 'Basic cDpx',
        'x-request-id': 'r-1',
      },
      body: JSON.stringify({ name: 'thing', tags: ['a'] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const echo = (await res.json()) as { method: string; path: string; query: object; headers: Record<string, string>; body: unknown };
    expect(echo).toMatchObject({ method: 'PUT', path: '/v1/things/42', query: { verbose: 'yes', page: '2' }, body: { name: 'thing', tags: ['a'] } });
    expect(echo.headers['x-request-id']).toBe('r-1');
    for (const credential of ['authorization', 'x-api-key', 'api-key', 'cookie', 'proxy-authorization']) expect(echo.headers).not.toHaveProperty(credential);
    expect(JSON.stringify(echo)).not.toMatch(/sk-secret|k1|k2|s3|cDpx/);
    // Recorded like any other request, credentials included (tests read what the gateway sent).
    expect(sim.requests[0].headers.authorization).toBe('Bearer sk-secret');
  });

  test('no body is null, a text body comes back as text; the simulated APIs are still simulated', async () => {
    const sim = await startSimulator({ restEcho: true });
    expect(await (await fetch(`${sim.url}/status`)).json()).toMatchObject({ method: 'GET', path: '/status', query: {}, body: null });
    const text = await fetch(`${sim.url}/notes`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(await text.json()).toMatchObject({ method: 'POST', body: 'hello' });
    const models = (await (await fetch(`${sim.url}/v1/models`)).json()) as { object: string };
    expect(models.object).toBe('list');
  });

  test('the simulator CLI turns it on with --rest-echo', () => {
    expect(parseSimulatorArgs(['--rest-echo', '--port', '0'])).toEqual({ restEcho: true, port: 0 });
  });

  test('off by default: an unknown path is a 404', async () => {
    const sim = await startSimulator();
    expect((await fetch(`${sim.url}/v1/forecast/paris`)).status).toBe(404);
  });

  test("every operation of the example fleet's weather API gets a 2xx JSON body", async () => {
    const sim = await startSimulator({ restEcho: true });
    const converted = openApiFileToTools(WEATHER_OPENAPI);
    if (!converted.ok) throw new Error(converted.reason);
    expect(converted.tools.map((t) => t.name)).toEqual(['getForecast', 'subscribeAlerts']);
    const sample: Record<string, unknown> = { city: 'paris', days: 3, body: { city: 'paris', webhook: 'https://hooks.example.com/w' } };
    const fill = (template: string) => template.replace(/\{\{args\.([^}]+)\}\}/g, (_, name: string) => encodeURIComponent(String(sample[name])));
    for (const tool of converted.tools) {
      const url = new URL(`${sim.url}${fill(tool.request.path)}`);
      for (const [k, v] of Object.entries(tool.request.query)) url.searchParams.set(k, fill(v));
      const body = tool.request.bodyArg === undefined ? undefined : JSON.stringify(sample[tool.request.bodyArg]);
      const res = await fetch(url, { method: tool.request.method, headers: body ? { 'content-type': 'application/json' } : {}, body });
      expect([tool.name, res.status]).toEqual([tool.name, 200]);
      const echo = (await res.json()) as { method: string; path: string; body: unknown };
      expect(echo).toMatchObject({ method: tool.request.method, path: url.pathname, body: body ? sample.body : null });
    }
  });
});
