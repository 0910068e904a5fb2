export type { DecisionSource } from './types.js';
export { embeddedSource, type EmbeddedSource, type EmbeddedSourceOptions } from './embedded.js';
export { remoteSource, decisionKey, type RemoteSourceOptions } from './remote.js';
