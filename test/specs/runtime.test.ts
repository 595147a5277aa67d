import { secretFilePath, serveArgv } from '../../src/specs/runtime';

/** The data plane's command line, as literals: the Dockerfile and the CLI follow the same argv. */
const DEFAULT_ARGV = ['aigw', 'serve', '--config', '/etc/aigw/config', '--secrets', '/var/run/secrets/aigw', '--port', '8080', '--admin-port', '9901'];

describe('serveArgv', () => {
  test('default argv', () => {
    expect(serveArgv()).toEqual(DEFAULT_ARGV);
    expect(serveArgv({})).toEqual(DEFAULT_ARGV);
  });

  test('explicit dirs and ports', () => {
    expect(serveArgv({ configDir: '/cfg', secretsDir: '/sec', port: 18080, adminPort: 19901 })).toEqual([
      'aigw',
      'serve',
      '--config',
      '/cfg',
      '--secrets',
      '/sec',
      '--port',
      '18080',
      '--admin-port',
      '19901',
    ]);
  });

  test('TLS acceleration: the flag, then the software fallback by default', () => {
    expect(serveArgv({ tlsAcceleration: true })).toEqual([...DEFAULT_ARGV, '--tls-accel=qat', '--accel-fallback=software']);
  });

  test('compression acceleration, failing when the accelerator is missing', () => {
    expect(serveArgv({ compressionAcceleration: true, accelerationFallback: 'fail' })).toEqual([
      ...DEFAULT_ARGV,
      '--compress-accel=qat',
      '--accel-fallback=fail',
    ]);
  });

  test('both accelerators: both flags and a single fallback flag', () => {
    expect(serveArgv({ tlsAcceleration: true, compressionAcceleration: true, accelerationFallback: 'software' })).toEqual([
      ...DEFAULT_ARGV,
      '--tls-accel=qat',
      '--compress-accel=qat',
      '--accel-fallback=software',
    ]);
  });

  test('no fallback flag when no accelerator is on', () => {
    expect(serveArgv({ accelerationFallback: 'fail' })).toEqual(DEFAULT_ARGV);
    expect(serveArgv({ tlsAcceleration: false, compressionAcceleration: false, accelerationFallback: 'fail' })).toEqual(DEFAULT_ARGV);
  });
});

describe('secretFilePath', () => {
  test('<secretsDir>/<secretName>/<key>', () => {
    expect(secretFilePath('/var/run/secrets/aigw', 'llm-keys', 'openai')).toBe('/var/run/secrets/aigw/llm-keys/openai');
  });
});
