export * from './problem.js';
export * from './schemas.js';
export * from './routes.js';
