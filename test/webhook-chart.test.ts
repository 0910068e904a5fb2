import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { CHART_DIR, loadYaml, readChart, staticYaml, templateFiles, valuesPaths } from './support/webhook-chart.js';

type Json = Record<string, any>;  

const values = loadYaml(readChart('values.yaml')) as Json;
const schema = JSON.parse(readChart('values.schema.json')) as Json;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

describe('charts/signoff without helm', () => {
  it('has a Chart.yaml for an application chart', () => {
    const chart = loadYaml(readChart('Chart.yaml')) as Json;
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'signoff', type: 'application' });
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('values.yaml is valid against values.schema.json', () => {
    const ok = validate(values);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema refuses what the chart cannot deploy', () => {
    const bad = (edit: (v: Json) => void): boolean => {
      const v = structuredClone(values);
      edit(v);
      return validate(v);
    };
    expect(bad((v) => (v.admission.timeoutSeconds = 10))).toBe(false);
    expect(bad((v) => (v.admission.failurePolicy = 'Sometimes'))).toBe(false);
    expect(bad((v) => (v.webhook.decisionFailurePolicy = 'open'))).toBe(false);
    expect(bad((v) => (v.webhook.replicaz = 3))).toBe(false);
  });

  it('every .Values path used in the templates exists in values.yaml', () => {
    const missing: string[] = [];
    for (const file of [...templateFiles().map((f) => `templates/${f}`), 'templates/NOTES.txt', 'templates/_helpers.tpl']) {
      for (const path of valuesPaths(readChart(file))) {
        let cur: unknown = values;
        for (const key of path.split('.')) cur = cur !== null && typeof cur === 'object' ? (cur as Json)[key] : undefined;
        if (cur === undefined) missing.push(`${file}: .Values.${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it.each(templateFiles())('the static YAML of %s parses into Kubernetes objects', (file) => {
    const docs = staticYaml(readChart(`templates/${file}`)) as Json[];
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) {
      expect(typeof d.apiVersion).toBe('string');
      expect(typeof d.kind).toBe('string');
      expect(d.metadata).toBeDefined();
    }
  });

  it('runs the server as one replica (the lowdb file takes one process) and the webhook as two with a PDB and anti-affinity', () => {
    const server = staticYaml(readChart('templates/server-deployment.yaml'))[0] as Json;
    expect(server.spec.replicas).toBe(1);
    expect(server.spec.strategy.type).toBe('Recreate');
    expect(values.webhook.replicas).toBeGreaterThanOrEqual(2);
    const hook = staticYaml(readChart('templates/webhook-deployment.yaml'))[0] as Json;
    expect(hook.spec.template.spec.affinity.podAntiAffinity).toBeDefined();
    expect((staticYaml(readChart('templates/webhook-pdb.yaml'))[0] as Json).kind).toBe('PodDisruptionBudget');
    expect(values.containerSecurityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(values.podSecurityContext.runAsNonRoot).toBe(true);
  });

  it('limits RBAC to get/list/watch namespaces', () => {
    const role = (staticYaml(readChart('templates/webhook-rbac.yaml')) as Json[]).find((d) => d.kind === 'ClusterRole')!;
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] }]);
  });
});

describe('the ValidatingWebhookConfiguration covers what the webhook gates', () => {
  const vwc = staticYaml(readChart('templates/validatingwebhookconfiguration.yaml'))[0] as Json;
  const [workloads, namespaces] = vwc.webhooks as Json[];

  it('is admission.k8s.io/v1 only, NoneOnDryRun, Equivalent, with a timeout of at most 5 s', () => {
    expect(vwc.kind).toBe('ValidatingWebhookConfiguration');
    expect(workloads!.admissionReviewVersions).toEqual(['v1']);
    expect(workloads!.sideEffects).toBe('NoneOnDryRun');
    expect(workloads!.matchPolicy).toBe('Equivalent');
    expect(values.admission.timeoutSeconds).toBeLessThanOrEqual(5);
    expect(values.admission.failurePolicy).toBe('Fail');
    expect(workloads!.clientConfig.service.path).toBe('/validate');
  });

  it('selects namespaces by the infrastructure label and excludes kube-system', () => {
    const exprs = workloads!.namespaceSelector.matchExpressions as Json[];
    expect(exprs).toContainEqual({ key: 'signoff.dev/infrastructure', operator: 'Exists' });
    expect(readChart('templates/validatingwebhookconfiguration.yaml')).toMatch(/list "kube-system" \.Release\.Namespace/);
  });

  it('has a rule for every gated kind, CREATE and UPDATE, incl. pods/ephemeralcontainers and inferenceservices', async () => {
    const { GATED_KINDS } = await import('../packages/admission-webhook/src/review/extract.js');
    const plural: Record<string, [string, string]> = {
      Deployment: ['apps', 'deployments'],
      StatefulSet: ['apps', 'statefulsets'],
      DaemonSet: ['apps', 'daemonsets'],
      ReplicaSet: ['apps', 'replicasets'],
      Job: ['batch', 'jobs'],
      CronJob: ['batch', 'cronjobs'],
      Pod: ['', 'pods'],
      InferenceService: ['serving.kserve.io', 'inferenceservices'],
    };
    const rules = workloads!.rules as Json[];
    const covered = (group: string, resource: string): boolean =>
      rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.operations.includes('CREATE') && r.operations.includes('UPDATE'));
    for (const kind of GATED_KINDS) {
      const [group, resource] = plural[kind]!;
      expect(covered(group, resource), kind).toBe(true);
    }
    expect(covered('', 'pods/ephemeralcontainers')).toBe(true);
  });

  it('guards namespace UPDATE in a separate webhook', () => {
    expect(namespaces!.rules).toEqual([{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['namespaces'], scope: 'Cluster' }]);
    expect(namespaces!.objectSelector.matchExpressions).toContainEqual({ key: 'signoff.dev/infrastructure', operator: 'Exists' });
  });

  it('gets its CA from cert-manager or from values', () => {
    expect(readChart('templates/validatingwebhookconfiguration.yaml')).toContain('cert-manager.io/inject-ca-from');
    expect(readChart('templates/validatingwebhookconfiguration.yaml')).toContain('caBundle: {{ .Values.tls.caBundle }}');
    expect(CHART_DIR).toMatch(/charts\/signoff\/$/);
  });
});

describe('the rest of the chart', () => {
  const docsOf = (file: string): Json[] => staticYaml(readChart(`templates/${file}`)) as Json[];
  const kinds = templateFiles().flatMap((f) => docsOf(f).map((d) => `${d.kind as string}`));

  it('deploys the server (Deployment, Service, PVC, admin Secret) and the webhook (Deployment, Service, PDB, RBAC)', () => {
    for (const kind of ['Deployment', 'Service', 'PersistentVolumeClaim', 'Secret', 'PodDisruptionBudget', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration']) {
      expect(kinds, kind).toContain(kind);
    }
    expect(kinds.filter((k) => k === 'Deployment')).toHaveLength(2);
  });

  it.each(['server-deployment.yaml', 'webhook-deployment.yaml'])('%s: non-root, read-only root filesystem, capabilities dropped, resource requests', (file) => {
    const text = readChart(`templates/${file}`);
    expect(text).toContain('{{- toYaml .Values.podSecurityContext | nindent 8 }}');
    expect(text).toContain('{{- toYaml .Values.containerSecurityContext | nindent 12 }}');
    const component = file.startsWith('server') ? 'server' : 'webhook';
    expect(text).toContain(`{{- toYaml .Values.${component}.resources | nindent 12 }}`);
    expect(values[component].resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
  });

  it('binds the namespace ClusterRole to the webhook ServiceAccount only; the server mounts no token', () => {
    const rbac = docsOf('webhook-rbac.yaml');
    const binding = rbac.find((d) => d.kind === 'ClusterRoleBinding')!;
    expect(binding.subjects).toHaveLength(1);
    expect(binding.subjects[0].kind).toBe('ServiceAccount');
    expect(binding.roleRef.kind).toBe('ClusterRole');
    expect(rbac.filter((d) => d.kind === 'Role' || d.kind === 'RoleBinding')).toEqual([]);
    expect(docsOf('server-deployment.yaml')[0]!.spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  it('renders failurePolicy and timeoutSeconds (Fail, 5 by default) into both webhooks, and excludes the same namespaces from both', () => {
    const text = readChart('templates/validatingwebhookconfiguration.yaml');
    expect(text.match(/failurePolicy: \{\{ \.Values\.admission\.failurePolicy \}\}/g)).toHaveLength(2);
    expect(text.match(/timeoutSeconds: \{\{ \.Values\.admission\.timeoutSeconds \}\}/g)).toHaveLength(2);
    expect(text.match(/toYaml \$excluded/g)).toHaveLength(2);
    expect(values.admission).toMatchObject({ failurePolicy: 'Fail', timeoutSeconds: 5, inferenceServices: true, guardNamespaceLabels: true });
  });

  it('TLS: cert-manager Certificate (serving names of the Service) or a Secret the user provides', () => {
    const certs = docsOf('certificate.yaml').filter((d) => d.kind === 'Certificate');
    expect(certs.length).toBeGreaterThan(0);
    expect(readChart('templates/certificate.yaml')).toContain('.svc');
    expect(readChart('templates/_helpers.tpl')).toMatch(/webhookTlsSecret[\s\S]*\.Values\.tls\.existingSecret/);
    expect(values.tls.certManager.enabled).toBe(true);
  });

  it('sets only webhook options the signoff-webhook command knows', async () => {
    const { webhookCommand } = await import('../packages/admission-webhook/src/cli/options.js');
    const known = new Set(webhookCommand().options.map((o) => o.envVar).filter(Boolean));
    const used = [...readChart('templates/webhook-deployment.yaml').matchAll(/name: (SIGNOFF_WEBHOOK_[A-Z_]+)/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(5);
    for (const name of used) expect(known.has(name), name).toBe(true);
  });

  it('NOTES.txt tells how to label a namespace; the README puts helm lint and helm template on the release checklist', () => {
    expect(readChart('templates/NOTES.txt')).toMatch(/kubectl label namespace <namespace> signoff\.dev\/infrastructure=<infrastructure-id>/);
    const readme = readChart('README.md');
    expect(readme).toMatch(/## Release checklist[\s\S]*helm lint charts\/signoff[\s\S]*helm template/);
  });

  it('has a Dockerfile whose image runs as a non-root user', () => {
    const dockerfile = readFileSync(`${CHART_DIR}../../packages/admission-webhook/Dockerfile`, 'utf8');
    expect(dockerfile).toMatch(/^USER (\d+)$/m);
    expect(Number(/^USER (\d+)$/m.exec(dockerfile)![1])).toBe(values.podSecurityContext.runAsUser);
    expect(dockerfile).toContain('packages/admission-webhook/dist');
  });
});
