import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { accelerationPaths, type AccelerationPaths, detectAcceleration, findQatDevice, requestedAcceleration } from '../../../src/dataplane/acceleration';
import { tempDirs } from '../../support/temp-dirs';

const tempDir = tempDirs();

/** A fake node: an empty /dev and /sys under a temp dir, no OpenSSL config, no library dirs. */
function fakeNode(): AccelerationPaths & { root: string } {
  const root = tempDir('aigw-qat-');
  mkdirSync(join(root, 'dev'));
  mkdirSync(join(root, 'sys'));
  return { root, deviceDir: join(root, 'dev'), sysfsDir: join(root, 'sys'), opensslSharedConfig: false, libDirs: [join(root, 'lib')] };
}

function touch(file: string, text = ''): string {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** A vfio group whose one PCI device has these ids (as sysfs shows them). */
function vfioGroup(node: AccelerationPaths, group: string, pci: string, vendor: string, device: string): void {
  touch(join(node.deviceDir, 'vfio', group));
  touch(join(node.sysfsDir, 'kernel', 'iommu_groups', group, 'devices', pci, 'vendor'), `${vendor}\n`);
  touch(join(node.sysfsDir, 'kernel', 'iommu_groups', group, 'devices', pci, 'device'), `${device}\n`);
}

/** An OpenSSL config that activates the QAT provider in Node's section, and the provider module it names. */
function qatProviderConfig(node: AccelerationPaths & { root: string }, section = 'nodejs_conf'): AccelerationPaths {
  const module = touch(join(node.root, 'ossl-modules', 'qatprovider.so'));
  const conf = touch(
    join(node.root, 'openssl.cnf'),
    `${section} = conf_section\n[conf_section]\nproviders = provider_section\n[provider_section]\nqatprovider = qat_section\ndefault = default_section\n[qat_section]\nmodule = ${module}\nactivate = 1\n[default_section]\nactivate = 1\n`,
  );
  return { ...node, opensslConfig: conf };
}

const TLS_FAIL = requestedAcceleration({ tls: true, fallback: 'fail' }, undefined);
const BOTH_SOFTWARE = requestedAcceleration({ tls: true, compression: true, fallback: 'software' }, undefined);
const refuseEngine = (id: string) => {
  throw new Error(`Engine "${id}" was not found`);
};

describe('finding a QAT device', () => {
  test('none: the reason names both places looked at', () => {
    const node = fakeNode();
    expect(findQatDevice(node)).toEqual({ found: false, reason: `no QAT device: ${node.deviceDir}/qat_* and ${node.deviceDir}/vfio/* bound to a QAT device not found` });
  });

  test("the out-of-tree driver's node /dev/qat_adf_ctl", () => {
    const node = fakeNode();
    touch(join(node.deviceDir, 'qat_dev_processes'));
    touch(join(node.deviceDir, 'qat_adf_ctl'));
    expect(findQatDevice(node)).toEqual({ found: true, device: join(node.deviceDir, 'qat_adf_ctl') });
  });

  test('a vfio group is a QAT device only when its PCI device is a QAT function (Intel 4xxx VF here), not any vfio group', () => {
    const node = fakeNode();
    vfioGroup(node, '7', '0000:6b:00.1', '0x10de', '0x2330');
    expect(findQatDevice(node)).toEqual({ found: false, reason: expect.stringContaining('(vfio groups 7 are not QAT devices)') });
    vfioGroup(node, '12', '0000:6b:00.2', '0x8086', '0x4941');
    expect(findQatDevice(node)).toEqual({ found: true, device: `${join(node.deviceDir, 'vfio', '12')} (Intel QAT 4xxx VF at 0000:6b:00.2)` });
  });

  test('the node has QAT (its driver is bound in sysfs) but none is mounted in this container: the reason says to request the device', () => {
    const node = fakeNode();
    touch(join(node.sysfsDir, 'bus', 'pci', 'drivers', '4xxx', '0000:6b:00.0', 'x'));
    expect(findQatDevice(node)).toEqual({ found: false, reason: expect.stringContaining('the node has QAT (driver 4xxx) but none is mounted into this container: request qat.intel.com/cy or qat.intel.com/dc') });
  });
});

describe('what each feature runs on', () => {
  test('nothing requested: both software, nothing looked at', () => {
    let tried = false;
    const outcome = detectAcceleration(requestedAcceleration({}, undefined), fakeNode(), { loadEngine: () => (tried = true) });
    expect(outcome).toEqual({ tls: { requested: false, mode: 'software' }, compression: { requested: false, mode: 'software' } });
    expect(tried).toBe(false);
  });

  test("no device, fallback 'fail': TLS unavailable, naming the missing device; the engine is not even tried", () => {
    const node = fakeNode();
    let tried = false;
    const outcome = detectAcceleration(TLS_FAIL, node, { loadEngine: () => (tried = true) });
    expect(outcome.tls).toEqual({ requested: true, mode: 'unavailable', fallback: 'fail', reason: expect.stringMatching(/^no QAT device: .*\/dev\/qat_\*/) });
    expect(outcome.compression).toEqual({ requested: false, mode: 'software' });
    expect(tried).toBe(false);
  });

  test("no device, fallback 'software': both software, with the reason", () => {
    const outcome = detectAcceleration(BOTH_SOFTWARE, fakeNode());
    expect(outcome.tls).toMatchObject({ mode: 'software', fallback: 'software', reason: expect.stringContaining('no QAT device') });
    expect(outcome.compression).toMatchObject({ mode: 'software', fallback: 'software', reason: expect.stringContaining('no QAT device') });
  });

  test('a device without provider or engine: TLS says which of them is missing', () => {
    const node = fakeNode();
    touch(join(node.deviceDir, 'qat_adf_ctl'));
    const outcome = detectAcceleration(TLS_FAIL, node, { loadEngine: refuseEngine });
    expect(outcome.tls).toEqual({
      requested: true,
      mode: 'unavailable',
      fallback: 'fail',
      reason: `QAT device ${node.deviceDir}/qat_adf_ctl found but no OpenSSL QAT provider or engine: OPENSSL_CONF unset (nor --openssl-config); engine 'qatengine' not loadable (Engine "qatengine" was not found; OPENSSL_ENGINES names its directory)`,
    });
  });

  test('a device and the QAT provider activated by the OpenSSL config Node loads: TLS on QAT through the provider, no engine set', () => {
    const node = fakeNode();
    touch(join(node.deviceDir, 'qat_adf_ctl'));
    const paths = qatProviderConfig(node);
    let tried = false;
    const outcome = detectAcceleration(TLS_FAIL, paths, { loadEngine: () => (tried = true) });
    // The provider is already active: no engine is set.
    expect(tried).toBe(false);
    expect(outcome.tls).toEqual({
      requested: true,
      mode: 'qat',
      how: `QAT provider ${join(node.root, 'ossl-modules', 'qatprovider.so')}, activated by OpenSSL config ${paths.opensslConfig} at process start, device ${node.deviceDir}/qat_adf_ctl`,
    });
  });

  test("the provider's config or module not right: each named (Node's own section, the module file)", () => {
    const node = fakeNode();
    touch(join(node.deviceDir, 'qat_adf_ctl'));
    const shared = qatProviderConfig(node, 'openssl_conf');
    expect(detectAcceleration(TLS_FAIL, shared, { loadEngine: refuseEngine }).tls).toMatchObject({ reason: expect.stringContaining(`OpenSSL config ${shared.opensslConfig} has no 'nodejs_conf' section, the one Node applies`) });
    // With --openssl-shared-config, Node applies openssl_conf: then it is right.
    expect(detectAcceleration(TLS_FAIL, { ...shared, opensslSharedConfig: true }).tls).toMatchObject({ mode: 'qat' });
    const paths = qatProviderConfig(node);
    const withoutModule = { ...paths, opensslConfig: touch(join(node.root, 'no-module.cnf'), 'nodejs_conf = c\n[c]\nproviders = p\n[p]\nqatprovider = q\n[q]\nactivate = 1\n') };
    expect(detectAcceleration(TLS_FAIL, withoutModule, { loadEngine: refuseEngine }).tls).toMatchObject({ reason: expect.stringContaining('names no module and OPENSSL_MODULES is unset') });
    expect(detectAcceleration(TLS_FAIL, { ...withoutModule, opensslModules: join(node.root, 'empty') }, { loadEngine: refuseEngine }).tls).toMatchObject({
      reason: expect.stringContaining(`QAT provider module ${join(node.root, 'empty', 'qatprovider.so')} not found`),
    });
    expect(detectAcceleration(TLS_FAIL, { ...withoutModule, opensslModules: join(node.root, 'ossl-modules') }).tls).toMatchObject({ mode: 'qat' });
    // A commented-out provider is no provider.
    const commented = { ...paths, opensslConfig: touch(join(node.root, 'commented.cnf'), 'nodejs_conf = c\n[c]\nproviders = p\n[p]\n# qatprovider = q\n[q]\nactivate = 1 # on\n') };
    expect(detectAcceleration(TLS_FAIL, commented, { loadEngine: refuseEngine }).tls).toMatchObject({ mode: 'unavailable', reason: expect.stringContaining('does not activate qatprovider') });
  });

  test('a device (a QAT vfio group) and a loadable engine: TLS on QAT through the engine', () => {
    const node = fakeNode();
    vfioGroup(node, '3', '0000:6b:00.1', '0x8086', '0x4941');
    const set: string[] = [];
    const outcome = detectAcceleration(TLS_FAIL, node, { loadEngine: (id) => void set.push(id) });
    expect(set).toEqual(['qatengine']);
    expect(outcome.tls).toMatchObject({ mode: 'qat', how: expect.stringMatching(/^QAT engine 'qatengine' set as OpenSSL's default engine \(crypto\.setEngine\), device .*vfio\/3 \(Intel QAT 4xxx VF/) });
  });

  test('the real crypto.setEngine on this machine (no QAT engine installed) is refused, and that is the reason', () => {
    const node = fakeNode();
    touch(join(node.deviceDir, 'qat_adf_ctl'));
    expect(detectAcceleration(TLS_FAIL, node).tls).toMatchObject({ mode: 'unavailable', reason: expect.stringContaining("engine 'qatengine' not loadable") });
  });

  test('compression with a device: libqatzip and the Node binding are named when missing; when both are there, it still says the compressor has no QATzip path (never a claimed offload)', () => {
    const node = fakeNode();
    touch(join(node.deviceDir, 'qat_adf_ctl'));
    const request = requestedAcceleration({ compression: true, fallback: 'fail' }, undefined);
    const missing = (name: string) => {
      throw new Error(`Cannot find module '${name}'`);
    };
    expect(detectAcceleration(request, node, { resolveModule: missing }).compression).toMatchObject({
      mode: 'unavailable',
      reason: `QAT device ${node.deviceDir}/qat_adf_ctl found but libqatzip.so not found in ${node.libDirs[0]}; no QATzip Node binding (module 'qatzip' not installed)`,
    });
    touch(join(node.libDirs[0], 'libqatzip.so.3'));
    const found = detectAcceleration(request, node, { resolveModule: (name) => `/node_modules/${name}/index.js` }).compression;
    expect(found).toMatchObject({ mode: 'unavailable', reason: expect.stringContaining("found, but this data plane's compressor has no QATzip path yet") });
  });
});

describe('what is requested, and where detection looks', () => {
  test("the flags or the config's block turn a feature on; the flag's fallback wins over the config's", () => {
    const config = { tls: { enabled: false, fallback: 'software' as const }, compression: { enabled: true, fallback: 'fail' as const } };
    expect(requestedAcceleration({}, config)).toEqual(config);
    expect(requestedAcceleration({ tls: true }, config)).toEqual({ tls: { enabled: true, fallback: 'software' }, compression: { enabled: true, fallback: 'fail' } });
    expect(requestedAcceleration({ tls: true, fallback: 'software' }, config)).toEqual({ tls: { enabled: true, fallback: 'software' }, compression: { enabled: true, fallback: 'software' } });
    expect(requestedAcceleration({ tls: true, fallback: 'fail' }, undefined).compression).toEqual({ enabled: false, fallback: 'fail' });
  });

  test('the real paths by default; Node flags and OpenSSL variables as Node reads them; the test-only overrides', () => {
    expect(accelerationPaths({}, [])).toMatchObject({ deviceDir: '/dev', sysfsDir: '/sys', opensslConfig: undefined, opensslSharedConfig: false, opensslModules: undefined });
    expect(accelerationPaths({ OPENSSL_CONF: '/etc/env.cnf', OPENSSL_MODULES: '/m' }, ['--openssl-config=/etc/flag.cnf', '--openssl-shared-config'])).toMatchObject({
      opensslConfig: '/etc/flag.cnf',
      opensslSharedConfig: true,
      opensslModules: '/m',
    });
    expect(accelerationPaths({ OPENSSL_CONF: '/etc/env.cnf' }, []).opensslConfig).toBe('/etc/env.cnf');
    // Flags in NODE_OPTIONS (how they reach Node under the image's ENTRYPOINT) are not in execArgv, and count too.
    expect(accelerationPaths({ NODE_OPTIONS: '--max-old-space-size=512 --openssl-config=/etc/opt.cnf --openssl-shared-config' }, [])).toMatchObject({ opensslConfig: '/etc/opt.cnf', opensslSharedConfig: true });
    expect(accelerationPaths({ AIGW_QAT_DEVICE_DIR: '/tmp/d', AIGW_QAT_SYSFS_DIR: '/tmp/s' }, [])).toMatchObject({ deviceDir: '/tmp/d', sysfsDir: '/tmp/s' });
  });
});
