/**
 * Every public API carries TSDoc: each exported function, class and constant of every package entry point has a
 * doc comment with an `@example`, and each exported type has a doc comment. The entry points are read from the
 * build config (tsup.config.ts), and must match the package's `exports` map, so a new subpath is covered the day
 * it is added.
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import buildConfig from '../../tsup.config.js';

const root = new URL('../../', import.meta.url);
const entries = (buildConfig as { entry: Record<string, string> }).entry;
const packageJson = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  exports: Record<string, unknown>;
};

/** One line per exported symbol that lacks what the standard asks for. */
function undocumented(): { missing: string[]; checked: number } {
  const files = Object.values(entries).map((file) => new URL(file, root).pathname);
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const missing: string[] = [];
  let checked = 0;
  for (const [name, file] of Object.entries(entries)) {
    const source = program.getSourceFile(new URL(file, root).pathname);
    const module = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    if (module === undefined) {
      missing.push(`${name}: entry ${file} not found`);
      continue;
    }
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declaration = symbol.declarations?.[0];
      // Re-exports of a dependency's own declarations (cockatiel's enums) carry that package's docs.
      if (declaration === undefined || declaration.getSourceFile().fileName.includes('/node_modules/'))
        continue;
      checked++;
      const where = `${name}: ${exported.name}`;
      if (symbol.getDocumentationComment(checker).length === 0) {
        missing.push(`${where} has no doc comment`);
        continue;
      }
      const isValue =
        ts.isFunctionDeclaration(declaration) ||
        ts.isClassDeclaration(declaration) ||
        ts.isVariableDeclaration(declaration);
      if (!isValue) continue;
      const host = ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration;
      if (!ts.getJSDocTags(host).some((tag) => tag.tagName.text === 'example')) {
        missing.push(`${where} has no @example`);
      }
    }
  }
  return { missing, checked };
}

describe('public API documentation', () => {
  it('builds one entry point for each subpath of the exports map', () => {
    const subpaths = Object.keys(packageJson.exports)
      .filter((path) => path !== './package.json')
      .map((path) => (path === '.' ? 'index' : path.slice(2)))
      .sort();
    expect(Object.keys(entries).sort()).toEqual(subpaths);
  });

  it('documents every export, with an example on every function, class and constant', () => {
    const { missing, checked } = undocumented();
    expect(checked).toBeGreaterThan(150);
    expect(missing).toEqual([]);
  }, 120_000);
});
