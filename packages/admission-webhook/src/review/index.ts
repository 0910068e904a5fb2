export * from './envelope.js';
export * from './extract.js';
export * from './response.js';
