export { accelerationHolds, applyAcceleration } from './apply';
export { type AccelerationOutcome, detectAcceleration } from './detect';
export { findQatDevice } from './device';
export { accelerationPaths, type AccelerationPaths, TEST_PATH_ENV } from './paths';
export { requestedAcceleration } from './request';
