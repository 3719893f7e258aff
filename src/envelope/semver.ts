/**
 * Semantic version ordering (semver 2.0 precedence), for the schema registry's "latest" and "previous".
 *
 * @internal
 */

/** Compares two valid semantic versions: negative, zero or positive. Build metadata is ignored. */
export function compareSemver(a: string, b: string): number {
  const [coreA, preA] = split(a);
  const [coreB, preB] = split(b);
  for (let i = 0; i < 3; i++) {
    const diff = Number(coreA[i]) - Number(coreB[i]);
    if (diff !== 0) return diff;
  }
  if (preA === undefined || preB === undefined) {
    if (preA === preB) return 0;
    return preA === undefined ? 1 : -1; // a release ranks above its pre-releases
  }
  const idsA = preA.split('.');
  const idsB = preB.split('.');
  for (let i = 0; i < Math.max(idsA.length, idsB.length); i++) {
    const x = idsA[i];
    const y = idsB[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const numX = /^\d+$/.test(x);
    const numY = /^\d+$/.test(y);
    if (numX && numY) {
      const diff = Number(x) - Number(y);
      if (diff !== 0) return diff;
    } else if (numX !== numY) {
      return numX ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

function split(version: string): [string[], string | undefined] {
  const plus = version.indexOf('+');
  const withoutBuild = plus === -1 ? version : version.slice(0, plus);
  const dash = withoutBuild.indexOf('-');
  const core = dash === -1 ? withoutBuild : withoutBuild.slice(0, dash);
  return [core.split('.'), dash === -1 ? undefined : withoutBuild.slice(dash + 1)];
}
