import type { DecisionInput, DecisionOutput, Policy, Result } from '@signoff/core';

/** Where the gate gets its decisions: the server over HTTP, or a service in this process. */
export interface DecisionSource {
  /** For messages: the server URL, or `embedded`. */
  readonly where: string;
  decide(input: DecisionInput): Promise<Result<DecisionOutput>>;
  /** The infrastructure's policy as last known, to answer when `decide` fails. */
  policyOf(infrastructureId: string): Policy | undefined;
  /** True when the source answers (for `/readyz`). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
