export { UpstreamSimulator } from './simulator';
export type { Fault, RecordedRequest, SimulatorOptions } from './types';
export type { UploadedFile } from './multipart';
export { runSimulatorCli } from './main';
