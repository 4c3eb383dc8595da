/**
 * A package-lock.json for a throwaway app, cut from this repository's lock: the entries that the
 * app's dependencies need (their dependencies and peers, transitively, at the paths this lock
 * resolved them to). With it `npm install --offline` takes every package from the npm cache,
 * without the registry metadata an unlocked offline install asks the cache for. This project's
 * lock omits registry tarball URLs (omit-lockfile-registry-resolved), and without one npm reads
 * the metadata to find the tarball: so each registry entry gets its URL back.
 */

export interface LockEntry {
  readonly version?: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
  readonly [field: string]: unknown;
}

export interface Lockfile {
  readonly name?: string;
  readonly lockfileVersion: number;
  readonly requires?: boolean;
  readonly packages: Readonly<Record<string, LockEntry>>;
}

/** The registry's tarball URL of the package installed at `path` (`…/node_modules/@scope/name`). */
function tarballUrl(registry: string, path: string, version: string): string {
  const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const base = name.slice(name.lastIndexOf('/') + 1);
  return `${registry.replace(/\/?$/, '/')}${name}/-/${base}-${version}.tgz`;
}

/** A repository lock entry as the app's lock holds it: not dev-only, with its tarball URL. */
function appEntry(registry: string, path: string, entry: LockEntry): LockEntry {
  const { dev: _dev, devOptional: _devOptional, ...kept } = entry;
  const fromRegistry = !kept.resolved && !kept.inBundle && !kept.link && typeof kept.version === 'string';
  return fromRegistry ? { ...kept, resolved: tarballUrl(registry, path, kept.version as string) } : kept;
}

/** Where `name`, required from the package at `from`, was installed: the nearest node_modules up. */
function resolvedPath(packages: Lockfile['packages'], from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (base === '') return undefined;
    const at = base.lastIndexOf('/node_modules/');
    base = at < 0 ? '' : base.slice(0, at);
  }
}

function requiredNames(entry: LockEntry): string[] {
  const optionalPeers = entry.peerDependenciesMeta ?? {};
  return [
    ...Object.keys(entry.dependencies ?? {}),
    ...Object.keys(entry.optionalDependencies ?? {}),
    ...Object.keys(entry.peerDependencies ?? {}).filter((name) => !optionalPeers[name]?.optional),
  ];
}

export interface AppLockRequest {
  readonly appName: string;
  /** The app's package.json dependencies. */
  readonly dependencies: Readonly<Record<string, string>>;
  /** Entries for dependencies the repository lock does not hold (the packed tarball). */
  readonly resolved: Readonly<Record<string, LockEntry>>;
  /** The npm registry, whose tarball URLs key the npm cache. */
  readonly registry: string;
}

/**
 * The lock of an app; the needs of `resolved` entries are followed like the others. A name the
 * repository lock cannot resolve is left out: the install then fails naming it, rather than this
 * guessing a version.
 */
export function offlineLock(repoLock: Lockfile, request: AppLockRequest): Lockfile {
  const { appName, dependencies, resolved, registry } = request;
  const packages: Record<string, LockEntry> = {
    '': { name: appName, dependencies },
  };
  const pending: Array<{ readonly path: string; readonly entry: LockEntry }> = [];
  for (const name of Object.keys(dependencies)) {
    const path = `node_modules/${name}`;
    const locked = repoLock.packages[path];
    const entry = resolved[name] ?? (locked ? appEntry(registry, path, locked) : undefined);
    if (!entry) continue;
    packages[path] = entry;
    pending.push({ path, entry });
  }
  for (let next = pending.pop(); next; next = pending.pop()) {
    for (const name of requiredNames(next.entry)) {
      const path = resolvedPath(repoLock.packages, next.path, name);
      const entry = path ? repoLock.packages[path] : undefined;
      if (!path || !entry || packages[path]) continue;
      const kept = appEntry(registry, path, entry);
      packages[path] = kept;
      pending.push({ path, entry: kept });
    }
  }
  return { name: appName, lockfileVersion: 3, requires: true, packages };
}
