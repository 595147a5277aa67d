import Redis from 'ioredis';
import { findRedisServer, startRedisServer } from '../../support/redis-server';

describe('the redis-server test harness', () => {
  test('without redis-server, the error says how to get it', () => {
    expect(() => findRedisServer('', [])).toThrow(/\.ci\/run installs it.*apt-get install -y redis-server/);
  });

  test('starts on a free loopback port, kills, restarts empty on the same port, stops', async () => {
    const server = await startRedisServer();
    const client = (): Redis => new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true, retryStrategy: () => null, disconnectTimeout: 100 });
    try {
      expect(server.address).toBe(`127.0.0.1:${server.port}`);
      const a = client();
      await a.connect();
      await a.set('k', 'v');
      a.disconnect();
      await server.kill();
      const b = client();
      await expect(b.connect()).rejects.toThrow(); // and, with no retry strategy, b has ended
      await server.restart();
      const c = client();
      await c.connect();
      expect(await c.get('k')).toBeNull(); // --save '' --appendonly no: nothing survives
      await c.quit();
    } finally {
      await server.stop();
    }
  });
});
