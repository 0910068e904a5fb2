export * from './demo-world.js';
