/**
 * The legacy `users[].user.auth-provider` of a kubeconfig.
 *
 * client-go (kubectl ≥ 1.26) removed the `gcp` and `azure` providers and refuses a kubeconfig that
 * still uses them; client-node keeps them, and runs their `cmd-path` with `execSync`: no deadline, no
 * signal, and the event loop blocked while it runs, so a hanging `gcloud` stalled kubehooks with no
 * timer able to fire. Here they are refused before any request, with what to use instead, as kubectl
 * does. A provider name kubectl does not know is refused too (client-node silently sent such
 * requests without credentials). `oidc` is still supported by kubectl and stays (credentials.ts
 * refreshes it under the request's deadline and signal).
 */
import { KubeconfigError } from './errors.ts';

/** An `auth-provider` entry as client-node loads it (`user.authProvider`). */
export interface AuthProviderEntry {
  readonly name?: unknown;
  readonly config?: unknown;
}

/** kubectl's replacement for each removed provider. */
const REMOVED: Readonly<Record<string, { readonly plugin: string; readonly see: string }>> = {
  gcp: {
    plugin: 'the exec credential plugin gke-gcloud-auth-plugin (`gcloud components install gke-gcloud-auth-plugin`, then `gcloud container clusters get-credentials`)',
    see: 'https://cloud.google.com/blog/products/containers-kubernetes/kubectl-auth-changes-in-gke',
  },
  azure: {
    plugin: 'the exec credential plugin kubelogin (https://github.com/Azure/kubelogin: `kubelogin convert-kubeconfig`)',
    see: 'https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins',
  },
};

/** Providers kubehooks supports (the ones client-go still ships). */
export const SUPPORTED_AUTH_PROVIDERS: readonly string[] = ['oidc'];

/**
 * Throws a KubeconfigError naming the user entry when its auth-provider cannot be used; returns the
 * provider's name (or undefined when the user has none). `allowUnknown` lets a library caller's own
 * client-node authenticator (`KubeConfig.addAuthenticator`) handle a name of its own.
 */
export function checkAuthProvider(
  user: { readonly name: string; readonly authProvider?: AuthProviderEntry | null | undefined; readonly exec?: unknown },
  source: string,
  options: { readonly allowUnknown?: boolean } = {},
): string | undefined {
  const provider = user.authProvider;
  if (provider === undefined || provider === null) return undefined;
  const where = `user "${user.name}" in ${source}`;
  const name = typeof provider.name === 'string' ? provider.name : '';
  if (user.exec !== undefined && user.exec !== null) {
    // client-go's rest.Config validation: "execProvider and authProvider cannot be used in combination".
    throw new KubeconfigError(`${where} sets both exec and auth-provider "${name}"; kubectl refuses that too: keep only the exec credential plugin`);
  }
  const removed = REMOVED[name];
  if (removed !== undefined) {
    throw new KubeconfigError(
      `${where} uses the auth-provider "${name}", which kubectl removed in 1.26 and kubehooks does not run: ` +
        `use ${removed.plugin} instead (see ${removed.see})`,
    );
  }
  if (!SUPPORTED_AUTH_PROVIDERS.includes(name) && options.allowUnknown !== true) {
    throw new KubeconfigError(
      `${where} uses the auth-provider "${name}", which kubectl does not know either ("no Auth Provider found for name"); ` +
        `supported: ${SUPPORTED_AUTH_PROVIDERS.join(', ')}; otherwise use an exec credential plugin (users[].user.exec)`,
    );
  }
  if (name === 'oidc') {
    // client-go's newOIDCAuthProvider: "Must provide idp-issuer-url" / "Must provide client-id".
    const config = typeof provider.config === 'object' && provider.config !== null ? (provider.config as Record<string, unknown>) : {};
    for (const key of ['idp-issuer-url', 'client-id']) {
      if (typeof config[key] !== 'string' || config[key] === '') {
        throw new KubeconfigError(`${where} uses the auth-provider "oidc" without ${key} (kubectl requires it too)`);
      }
    }
  }
  return name;
}
