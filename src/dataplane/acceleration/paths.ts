/**
 * Where QAT detection looks. The defaults are the real paths of a Linux node; tests point them at
 * a temp dir (the CLI reads AIGW_QAT_DEVICE_DIR and AIGW_QAT_SYSFS_DIR for that, and only tests set them).
 */
export interface AccelerationPaths {
  /** Device nodes: the out-of-tree QAT driver's `qat_*` nodes, and `vfio/<group>` of the in-tree one. @default '/dev' */
  readonly deviceDir: string;
  /** sysfs: `kernel/iommu_groups/<group>/devices/<pci>/{vendor,device}` and `bus/pci/drivers/<driver>`. @default '/sys' */
  readonly sysfsDir: string;
  /** The OpenSSL config Node loaded at start: `--openssl-config` in the process's Node flags, else `OPENSSL_CONF`. */
  readonly opensslConfig?: string;
  /** Node reads the config's `openssl_conf` section with `--openssl-shared-config`, else its `nodejs_conf` section. */
  readonly opensslSharedConfig: boolean;
  /** Where OpenSSL loads provider modules from (`OPENSSL_MODULES`). */
  readonly opensslModules?: string;
  /** Where libqatzip is looked for. */
  readonly libDirs: readonly string[];
}

/** Test-only overrides of the device and sysfs roots (named in `aigw serve`'s usage as such). */
export const TEST_PATH_ENV = { deviceDir: 'AIGW_QAT_DEVICE_DIR', sysfsDir: 'AIGW_QAT_SYSFS_DIR' } as const;

const LIB_DIRS = ['/usr/lib64', '/usr/lib', '/usr/local/lib64', '/usr/local/lib', '/usr/lib/x86_64-linux-gnu'];

/** The paths this process would use: the real ones, as Node and OpenSSL see them. */
export function accelerationPaths(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): AccelerationPaths {
  // NODE_OPTIONS is how flags reach Node under an image's ENTRYPOINT, and it is not in execArgv.
  execArgv = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/).filter((a) => a !== '')];
  return {
    deviceDir: env[TEST_PATH_ENV.deviceDir] || '/dev',
    sysfsDir: env[TEST_PATH_ENV.sysfsDir] || '/sys',
    opensslConfig: nodeFlag(execArgv, '--openssl-config') ?? (env.OPENSSL_CONF || undefined),
    opensslSharedConfig: execArgv.includes('--openssl-shared-config'),
    opensslModules: env.OPENSSL_MODULES || undefined,
    libDirs: LIB_DIRS,
  };
}

/** `--flag=value` or `--flag value` among Node's own flags. */
function nodeFlag(execArgv: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < execArgv.length; i++) {
    if (execArgv[i].startsWith(`${flag}=`)) return execArgv[i].slice(flag.length + 1);
    if (execArgv[i] === flag) return execArgv[i + 1];
  }
  return undefined;
}
