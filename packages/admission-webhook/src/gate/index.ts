export { createGate, decisionInputFor, type GateOptions, type GateResult } from './gate.js';
