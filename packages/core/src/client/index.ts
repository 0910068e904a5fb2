export * from './signoff-client.js';
