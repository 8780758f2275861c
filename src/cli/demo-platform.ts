/**
 * What `kubehooks demo` needs of a local control plane. The checkout's scripts/cluster provides it
 * (scripts/cluster/demo-platform.ts, passed in by bin/kubehooks.js); src/ never imports scripts/, and
 * the packaged CLI has no platform, so its demo says to use a checkout.
 */
export interface DemoCluster {
  readonly kubeconfigPath: string;
  /** The run directory; KWOK runs hook commands as local processes in `<runDir>/exec`. */
  readonly runDir: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** The simulated node: pods bound to it run. */
  readonly nodeName: string;
  /** Milliseconds from the start call to a Ready node. */
  readonly startMs: number;
  /** Stops exactly the processes this cluster started and removes the run directory. */
  stop(): Promise<unknown>;
}

export interface DemoPlatform {
  startCluster(options: { readonly signal: AbortSignal; readonly log: (line: string) => void }): Promise<DemoCluster>;
  /** Whether a start failure means that Go, which builds the control plane's binaries, is missing. */
  isGoUnavailable(error: unknown): boolean;
  /** The simulated node's pod annotations: time spent Pending, time from Running to Ready. */
  readonly sim: { readonly startDelay: string; readonly readyDelay: string };
}

/** Said by a `kubehooks demo` that has no platform (the installed package or binary). */
export const DEMO_NEEDS_CHECKOUT =
  'kubehooks: the demo builds a local control plane from a git checkout of kubehooks:\n' +
  '  git clone <kubehooks repository> && cd kubehooks && npm ci && npm run demo\n';
