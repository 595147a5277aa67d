import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import type { AccelerationPaths } from './paths';

/**
 * Intel QAT PCI device ids (vendor 0x8086), physical and virtual functions, as the Linux kernel's
 * qat drivers list them. A vfio group is a QAT device when a device of the group has one of them.
 */
const QAT_PCI_IDS: Readonly<Record<string, string>> = {
  '0x0435': 'DH895xCC',
  '0x0443': 'DH895xCC VF',
  '0x37c8': 'C62x',
  '0x37c9': 'C62x VF',
  '0x19e2': 'C3xxx',
  '0x19e3': 'C3xxx VF',
  '0x18ee': '200xx',
  '0x18ef': '200xx VF',
  '0x18a0': 'C4xxx',
  '0x18a1': 'C4xxx VF',
  '0x4940': '4xxx',
  '0x4941': '4xxx VF',
  '0x4942': '401xx',
  '0x4943': '401xx VF',
  '0x4944': '402xx',
  '0x4945': '402xx VF',
  '0x4946': '420xx',
  '0x4947': '420xx VF',
};

/** The kernel's PCI driver names for QAT physical functions (in-tree and Intel's out-of-tree package). */
const QAT_PCI_DRIVERS = ['4xxx', '420xx', 'c6xx', 'c3xxx', 'dh895xcc', 'c4xxx', 'd15xx', 'qat_4xxx', 'qat_420xx', 'qat_c62x', 'qat_c3xxx', 'qat_dh895xcc'];

export type DeviceFinding = { found: true; device: string } | { found: false; reason: string };

/**
 * A QAT device this process can open: a `qat_*` node (Intel's out-of-tree driver: qat_adf_ctl,
 * qat_dev_processes), or a vfio group whose PCI device is a QAT function (the in-tree driver with
 * QATlib, as Intel's device plugin mounts it). The reason says what is missing, and when the node
 * has QAT but none is mounted into this container, says that.
 */
export function findQatDevice(paths: AccelerationPaths): DeviceFinding {
  const nodes = entries(paths.deviceDir).filter((name) => name.startsWith('qat_')).sort();
  if (nodes.length > 0) return { found: true, device: join(paths.deviceDir, nodes[0]) };
  const vfioDir = join(paths.deviceDir, 'vfio');
  const groups = entries(vfioDir).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(a) - Number(b));
  for (const group of groups) {
    const model = qatModelOfGroup(paths.sysfsDir, group);
    if (model) return { found: true, device: `${join(vfioDir, group)} (${model})` };
  }
  const others = groups.length > 0 ? ` (vfio groups ${groups.join(', ')} are not QAT devices)` : '';
  const drivers = QAT_PCI_DRIVERS.filter((d) => entries(join(paths.sysfsDir, 'bus', 'pci', 'drivers', d)).some(isPciAddress));
  const onNode = drivers.length > 0 ? `; the node has QAT (driver ${drivers.join(', ')}) but none is mounted into this container: request qat.intel.com/cy or qat.intel.com/dc` : '';
  return { found: false, reason: `no QAT device: ${join(paths.deviceDir, 'qat_*')} and ${join(vfioDir, '*')} bound to a QAT device not found${others}${onNode}` };
}

function qatModelOfGroup(sysfsDir: string, group: string): string | undefined {
  const devices = join(sysfsDir, 'kernel', 'iommu_groups', group, 'devices');
  for (const pci of entries(devices)) {
    const vendor = read(join(devices, pci, 'vendor'));
    const model = QAT_PCI_IDS[read(join(devices, pci, 'device')) ?? ''];
    if (vendor === '0x8086' && model) return `Intel QAT ${model} at ${pci}`;
  }
  return undefined;
}

function isPciAddress(name: string): boolean {
  return /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(name);
}

/** A directory's entries; none if it is missing or unreadable. */
export function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim().toLowerCase();
  } catch {
    return undefined;
  }
}
