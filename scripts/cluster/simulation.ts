/**
 * How the simulated node behaves: kwok Stage documents written for kubehooks, and the annotations
 * that steer them. kwok has no built-in stages; these replace its "fast" and "general" sets with
 * the few behaviours our tests and the demo need, deterministic (no jitter) by default.
 *
 * A pod whose spec.nodeName is the simulated node goes:
 *   create:  Pending, containers waiting (ContainerCreating), pod IP assigned     (immediately)
 *   start:   Running, containers running, not yet Ready          (after start-delay; never with never-start)
 *   ready:   Ready, containers ready                              (after ready-delay; never with ready=false)
 *   unready: back to not Ready when ready=false is set on a Ready pod
 *   terminate: the named container (or all) terminated           (after terminate-delay)
 *   delete:  a pod with a deletionTimestamp is removed
 * A pod bound to a node kwok does not manage (UNMANAGED_NODE_NAME) gets no status at all: Pending forever.
 * kwok cannot run probes, so a readiness probe counts as passing: without ready=false, every running
 * pod becomes Ready, as a pod without a probe does on a real kubelet.
 */
import { stringify } from 'yaml';

const PREFIX = 'sim.kubehooks.dev';

/** Pod annotations understood by the stages. Durations are Go durations ("1.5s", "200ms"). */
export const SIM = {
  /** Time spent Pending (ContainerCreating) before the containers run. */
  startDelay: `${PREFIX}/start-delay`,
  /** "true": containers never start; the pod stays Pending. Remove it to let the pod start. */
  neverStart: `${PREFIX}/never-start`,
  /** The containers' waiting reason while Pending (default ContainerCreating), e.g. ImagePullBackOff. */
  waitingReason: `${PREFIX}/waiting-reason`,
  /** "false": the pod runs but never becomes Ready; set it on a Ready pod to make it unready. */
  ready: `${PREFIX}/ready`,
  /** Time between Running and Ready. */
  readyDelay: `${PREFIX}/ready-delay`,
  /** A container name, or "*" for all: that container terminates (the pod fails when all do). */
  terminate: `${PREFIX}/terminate`,
  /** Time between Running and the termination. */
  terminateDelay: `${PREFIX}/terminate-delay`,
  /** Exit code of a terminated container (default 1; 0 gives reason Completed). */
  exitCode: `${PREFIX}/exit-code`,
} as const;

/** The annotation kwok selects its managed nodes by. */
export const NODE_SELECTOR_ANNOTATION = 'kwok.x-k8s.io/node';
export const NODE_SELECTOR_VALUE = 'fake';
export const DEFAULT_NODE_NAME = 'kwok-node-0';
/** No Node of this name exists and kwok manages none: pods bound to it stay Pending forever. */
export const UNMANAGED_NODE_NAME = 'kubehooks-unmanaged-node';

const notDeleting = `    - key: '.metadata.deletionTimestamp'
      operator: DoesNotExist`;

const annotation = (key: string): string => `'.metadata.annotations["${key}"]'`;

const conditionStatus = (type: string): string =>
  `'.status.conditions.[] | select( .type == "${type}" ) | .status'`;

const delayFrom = (key: string): string => `  delay:
    durationMilliseconds: 0
    durationFrom:
      expressionFrom: ${annotation(key)}`;

/** The head of a kwok Stage for pods, down to its selector's expressions. */
const podStage = (name: string): string => `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: kubehooks-pod-${name}
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:`;

const runningPhase = `    - key: '.status.phase'
      operator: In
      values: [Running]`;

// Go template of the pod's Ready/ContainersReady conditions while a container is not ready
// (pod-create, pod-start, pod-terminate).
const notReadyConditions = `      - type: Ready
        status: "False"
        reason: ContainersNotReady
        lastTransitionTime: {{ $now | Quote }}
      - type: ContainersReady
        status: "False"
        reason: ContainersNotReady
        lastTransitionTime: {{ $now | Quote }}`;

// The head of each init container's status entry (pod-create and pod-start fill in the rest differently).
const initContainersHead = `      {{ with .spec.initContainers }}
      initContainerStatuses:
      {{ range . }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        imageID: ""`;

// Go template helpers shared by the pod stages. `$old` is the container's current status entry.
const startedAtOf = `{{ $started := $now }}{{ with $old }}{{ with .state }}{{ with .running }}{{ $started = .startedAt }}{{ end }}{{ end }}{{ end }}`;

const NODE_READY = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: kubehooks-node-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Node
  selector:
    matchExpressions:
    - key: ${conditionStatus('Ready')}
      operator: NotIn
      values: ['True']
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - type: Ready
        status: "True"
        reason: KubeletReady
        message: simulated by kwok for kubehooks
        lastHeartbeatTime: {{ $now | Quote }}
        lastTransitionTime: {{ $now | Quote }}
      {{ range list "MemoryPressure" "DiskPressure" "PIDPressure" "NetworkUnavailable" }}
      - type: {{ . }}
        status: "False"
        reason: Simulated
        message: simulated by kwok for kubehooks
        lastHeartbeatTime: {{ $now | Quote }}
        lastTransitionTime: {{ $now | Quote }}
      {{ end }}
      addresses:
      - type: InternalIP
        address: {{ NodeIP | Quote }}
      - type: Hostname
        address: {{ NodeName | Quote }}
      daemonEndpoints:
        kubeletEndpoint:
          Port: {{ NodePort }}
      capacity: {cpu: "1k", memory: 1Ti, pods: "1M"}
      allocatable: {cpu: "1k", memory: 1Ti, pods: "1M"}
      nodeInfo:
        architecture: amd64
        operatingSystem: linux
        bootID: ""
        machineID: ""
        systemUUID: ""
        osImage: kwok
        kernelVersion: {{ printf "kwok-%s" Version | Quote }}
        kubeletVersion: {{ printf "kwok-%s" Version | Quote }}
        kubeProxyVersion: {{ printf "kwok-%s" Version | Quote }}
        containerRuntimeVersion: {{ printf "kwok-%s" Version | Quote }}
      phase: Running
`;

const POD_CREATE = `${podStage('create')}
${notDeleting}
    - key: '.status.podIP'
      operator: DoesNotExist
  next:
    statusTemplate: |
      {{ $now := Now }}
      {{ $annotations := or .metadata.annotations dict }}
      {{ $reason := or (index $annotations "${SIM.waitingReason}") "ContainerCreating" }}
      conditions:
      - type: PodScheduled
        status: "True"
        lastTransitionTime: {{ $now | Quote }}
      - type: Initialized
        status: {{ if .spec.initContainers }}"False"{{ else }}"True"{{ end }}
        lastTransitionTime: {{ $now | Quote }}
${notReadyConditions}
${initContainersHead}
        ready: false
        started: false
        restartCount: 0
        state:
          waiting:
            reason: PodInitializing
      {{ end }}
      {{ end }}
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        imageID: ""
        ready: false
        started: false
        restartCount: 0
        state:
          waiting:
            reason: {{ $reason | Quote }}
      {{ end }}
      hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
      podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
      phase: Pending
`;

const POD_START = `${podStage('start')}
${notDeleting}
    - key: '.status.podIP'
      operator: Exists
    - key: '.status.phase'
      operator: In
      values: [Pending]
    - key: ${annotation(SIM.neverStart)}
      operator: NotIn
      values: ['true']
${delayFrom(SIM.startDelay)}
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - type: Initialized
        status: "True"
        lastTransitionTime: {{ $now | Quote }}
${notReadyConditions}
${initContainersHead}
        restartCount: 0
        {{ if eq (or .restartPolicy "") "Always" }}
        ready: true
        started: true
        state:
          running:
            startedAt: {{ $now | Quote }}
        {{ else }}
        ready: true
        started: false
        state:
          terminated:
            exitCode: 0
            reason: Completed
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
        {{ end }}
      {{ end }}
      {{ end }}
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        imageID: ""
        ready: false
        started: true
        restartCount: 0
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
      phase: Running
      startTime: {{ $now | Quote }}
`;

/** Running containers, Ready or not: the status body shared by the ready and unready stages. */
function readinessStatus(ready: boolean): string {
  const reason = ready ? '' : '\n        reason: ContainersNotReady';
  const status = ready ? '"True"' : '"False"';
  return `    statusTemplate: |
      {{ $now := Now }}
      {{ $root := . }}
      conditions:
      - type: Ready
        status: ${status}${reason}
        lastTransitionTime: {{ $now | Quote }}
      - type: ContainersReady
        status: ${status}${reason}
        lastTransitionTime: {{ $now | Quote }}
      containerStatuses:
      {{ range $i, $c := .spec.containers }}
      {{ $old := index $root.status.containerStatuses $i }}
      ${startedAtOf}
      - name: {{ $c.name | Quote }}
        image: {{ $c.image | Quote }}
        imageID: ""
        ready: ${ready ? 'true' : 'false'}
        started: true
        restartCount: 0
        state:
          running:
            startedAt: {{ $started | Quote }}
      {{ end }}
`;
}

const POD_READY = `${podStage('ready')}
${notDeleting}
${runningPhase}
    - key: ${conditionStatus('Ready')}
      operator: NotIn
      values: ['True']
    - key: ${annotation(SIM.ready)}
      operator: NotIn
      values: ['false']
    - key: ${annotation(SIM.terminate)}
      operator: DoesNotExist
    - key: '.status.containerStatuses.[].state.terminated'
      operator: DoesNotExist
${delayFrom(SIM.readyDelay)}
  next:
${readinessStatus(true)}`;

const POD_UNREADY = `${podStage('unready')}
${notDeleting}
${runningPhase}
    - key: ${conditionStatus('Ready')}
      operator: In
      values: ['True']
    - key: ${annotation(SIM.ready)}
      operator: In
      values: ['false']
  next:
${readinessStatus(false)}`;

const POD_TERMINATE = `${podStage('terminate')}
${notDeleting}
${runningPhase}
    - key: ${annotation(SIM.terminate)}
      operator: Exists
    - key: '.status.containerStatuses.[].state.terminated'
      operator: DoesNotExist
${delayFrom(SIM.terminateDelay)}
  next:
    statusTemplate: |
      {{ $now := Now }}
      {{ $root := . }}
      {{ $annotations := or .metadata.annotations dict }}
      {{ $target := toString (index $annotations "${SIM.terminate}") }}
      {{ $code := toString (or (index $annotations "${SIM.exitCode}") "1") }}
      {{ $all := or (eq $target "*") (eq $target "") }}
      conditions:
${notReadyConditions}
      containerStatuses:
      {{ range $i, $c := .spec.containers }}
      {{ $old := index $root.status.containerStatuses $i }}
      ${startedAtOf}
      - name: {{ $c.name | Quote }}
        image: {{ $c.image | Quote }}
        imageID: ""
        restartCount: 0
        {{ if or $all (eq $c.name $target) }}
        ready: false
        started: false
        state:
          terminated:
            exitCode: {{ $code }}
            reason: {{ if eq $code "0" }}Completed{{ else }}Error{{ end }}
            startedAt: {{ $started | Quote }}
            finishedAt: {{ $now | Quote }}
        {{ else }}
        ready: false
        started: true
        state:
          running:
            startedAt: {{ $started | Quote }}
        {{ end }}
      {{ end }}
      phase: {{ if not $all }}Running{{ else if eq $code "0" }}Succeeded{{ else }}Failed{{ end }}
`;

const POD_DELETE = `${podStage('delete')}
    - key: '.metadata.deletionTimestamp'
      operator: Exists
    - key: '.metadata.finalizers'
      operator: DoesNotExist
  next:
    delete: true
`;

export const STAGES: readonly string[] = [
  NODE_READY,
  POD_CREATE,
  POD_START,
  POD_READY,
  POD_UNREADY,
  POD_TERMINATE,
  POD_DELETE,
];

export interface KwokInput {
  readonly kubeconfigPath: string;
  readonly configPath: string;
  readonly port: number;
  readonly servingCert: string;
  readonly servingKey: string;
}

/**
 * kwok's flags. Options go on the command line, not in a KwokConfiguration document: a document
 * replaces kwok's defaults with zero values (observed: "playStageParallelism must be greater than 0").
 */
export function kwokArgs(input: KwokInput): string[] {
  return [
    `--kubeconfig=${input.kubeconfigPath}`,
    `--config=${input.configPath}`,
    `--manage-nodes-with-annotation-selector=${NODE_SELECTOR_ANNOTATION}=${NODE_SELECTOR_VALUE}`,
    '--node-ip=127.0.0.1',
    '--node-name=localhost',
    `--node-port=${input.port}`,
    `--server-address=127.0.0.1:${input.port}`,
    `--tls-cert-file=${input.servingCert}`,
    `--tls-private-key-file=${input.servingKey}`,
    '--cidr=10.0.0.0/16',
  ];
}

/** The multi-document kwok --config: one ClusterExec for every pod, and the stages. */
export function kwokConfigYaml(execDir: string): string {
  // No selector: every pod on a managed node runs exec as a local process in execDir.
  const exec = {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'ClusterExec',
    metadata: { name: 'kubehooks-local-exec' },
    spec: {
      execs: [{ local: { workDir: execDir, envs: [{ name: 'KUBEHOOKS_SIMULATED_EXEC', value: '1' }] } }],
    },
  };
  return [stringify(exec), ...STAGES].join('---\n');
}
