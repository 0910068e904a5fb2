export { startWebhook, type StartWebhookOptions, type RunningWebhook } from './webhook.js';
export { createGate, decisionInputFor, type GateOptions, type GateResult } from './gate/index.js';
export { embeddedSource, remoteSource, decisionKey, type DecisionSource, type EmbeddedSource, type EmbeddedSourceOptions, type RemoteSourceOptions } from './decision-source/index.js';
export { namespaceInformer, parseNamespaceMap, staticNamespaces, type NamespaceResolver, type NamespaceInformerOptions } from './namespaces/index.js';
export {
  AdmissionReview,
  AdmissionRequest,
  planReview,
  toAdmissionResponse,
  verdictForDecision,
  verdictForPlan,
  verdictForUnavailable,
  fitWarnings,
  GATED_KINDS,
  ITEM_ANNOTATION,
  CONFIRM_ANNOTATION,
  INFRASTRUCTURE_LABEL,
  FailurePolicy,
  type AdmissionResponse,
  type GatePlan,
  type Workload,
  type Verdict,
} from './review/index.js';
export { createHandler, listenHttps, createMetrics, readTls, watchTls, BODY_LIMIT, type WebhookMetrics } from './server/index.js';
export { makeSelfSignedTls, type SelfSignedTls } from './server/self-signed.js';
