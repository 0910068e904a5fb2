import { Command, InvalidArgumentError, Option } from 'commander';
import { FailurePolicy } from '../review/response.js';

export interface CliOptions {
  demo: boolean;
  demoDir?: string;
  port: number;
  host: string;
  serverUrl?: string;
  apiKeyFile?: string;
  serverCaFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  namespaceMap?: string;
  kubeconfig?: string;
  inCluster: boolean;
  adminGroup: string[];
  failurePolicy: FailurePolicy;
  cacheTtlMs: number;
  logLevel: string;
}

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number 0-65535 (0 picks a free one)');
  return n;
};
const nonNegative = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number ≥ 0');
  return n;
};
const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), ...v.split(',').map((s) => s.trim()).filter(Boolean)];

/** The `signoff-webhook` command line; each flag also as a `SIGNOFF_WEBHOOK_*` variable. */
export function webhookCommand(): Command {
  const env = (name: string): string => `SIGNOFF_WEBHOOK_${name}`;
  return new Command('signoff-webhook')
    .description('Kubernetes validating admission webhook: only approved bundles and model versions run where the policy says so')
    .addOption(new Option('--demo', 'embedded demo world, demo namespace map and a self-signed certificate').env(env('DEMO')).default(false))
    .addOption(new Option('--demo-dir <dir>', 'where --demo writes its CA and certificate').env(env('DEMO_DIR')))
    .addOption(new Option('--port <port>', 'HTTPS port (0: any free port)').env(env('PORT')).argParser(port).default(8443))
    .addOption(new Option('--host <address>', 'address to listen on').env(env('HOST')).default('0.0.0.0'))
    .addOption(new Option('--server-url <url>', 'the signoff server that decides').env(env('SERVER_URL')))
    .addOption(new Option('--api-key-file <file>', 'file holding the API key (decisions:read, deployments:write)').env(env('API_KEY_FILE')))
    .addOption(new Option('--server-ca-file <file>', 'PEM CA bundle to trust for the server').env(env('SERVER_CA_FILE')))
    .addOption(new Option('--tls-cert <file>', 'serving certificate (PEM), reloaded when it changes').env(env('TLS_CERT')))
    .addOption(new Option('--tls-key <file>', 'serving key (PEM), reloaded when it changes').env(env('TLS_KEY')))
    .addOption(new Option('--namespace-map <map|file>', 'static namespace→infrastructure map: "ns=infra,…" or a file of such lines (instead of the label informer)').env(env('NAMESPACE_MAP')))
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig for the namespace informer (default: in-cluster, else ~/.kube/config)').env(env('KUBECONFIG')))
    .addOption(new Option('--in-cluster', 'use the pod service account for the namespace informer').env(env('IN_CLUSTER')).default(false))
    .addOption(new Option('--admin-group <group>', 'group allowed to change a namespace\'s infrastructure label (repeatable)').env(env('ADMIN_GROUP')).argParser(collect))
    .addOption(new Option('--failure-policy <policy>', 'when the server cannot answer: by-policy (prevent denies, warn/always admit with a warning), fail-closed, fail-open').env(env('FAILURE_POLICY')).choices(FailurePolicy).default('by-policy'))
    .addOption(new Option('--cache-ttl-ms <ms>', 'serve identical decisions from memory this long (0: off)').env(env('CACHE_TTL_MS')).argParser(nonNegative).default(1000))
    .addOption(new Option('--log-level <level>', 'pino log level').env(env('LOG_LEVEL')).choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'));
}

export function parseCli(argv: readonly string[]): CliOptions {
  const cmd = webhookCommand();
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts<CliOptions>();
  return { ...o, adminGroup: o.adminGroup ?? ['system:masters'] };
}
