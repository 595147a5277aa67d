export { UpstreamSimulator } from './simulator';
export type { Fault, RecordedRequest, SimulatorOptions } from './types';
export { runSimulatorCli } from './main';
