export * from './password.js';
export * from './api-key.js';
export * from './principal.js';
