// "Did you mean" for scan targets: a registry name one edit away from a name in the shipped
// popular-names list. Only a hint: the user may mean the odd name (the typosquat rule judges it).
import { editDistance } from '../registry/edit-distance.js';
import { popularIndex, type PopularIndex } from '../registry/typosquat.js';

const NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** The package name of a registry spec (`name`, `name@range`, `@scope/name@tag`); undefined for files, folders, URLs, git. */
export function registryName(spec: string): string | undefined {
  if (/^[./~]|^[a-z][a-z0-9+.-]*:|\.t(?:ar\.)?gz$/i.test(spec)) return undefined;
  const at = spec.indexOf('@', spec.startsWith('@') ? 1 : 0);
  const name = at === -1 ? spec : spec.slice(0, at);
  return NAME.test(name) ? name : undefined;
}

/** The most downloaded popular name one edit from `name`, unless `name` is itself in the list. */
export function popularNameNear(name: string, index: PopularIndex = popularIndex()): string | undefined {
  if (name.length < 3 || index.downloads.has(name)) return undefined;
  let best: string | undefined;
  let bestDownloads = -1;
  for (let len = name.length - 1; len <= name.length + 1; len++) {
    for (const t of index.byLength.get(len) ?? []) {
      const n = index.downloads.get(t) ?? 0;
      if (n > bestDownloads && editDistance(name, t, 1) <= 1) {
        best = t;
        bestDownloads = n;
      }
    }
  }
  return best;
}
