#!/usr/bin/env python3
"""Prints explicit export blocks for src/index.ts from the module indexes (a helper for keeping the root entry
explicit; its output is pasted and reviewed, not generated at build time)."""
import re, sys
mods = sys.argv[1:]
values, types = [], []
for m in mods:
    src = open(f'src/{m}/index.ts').read()
    for kind, names, origin in re.findall(r'export (type )?\{([^}]*)\} from \'([^\']+)\'', src, re.S):
        ns = [n.strip() for n in names.split(',') if n.strip()]
        for n in ns:
            if n.startswith('type '):
                types.append((m, n[5:].strip()))
            elif kind:
                types.append((m, n))
            else:
                values.append((m, n))
def block(items, kw):
    out = []
    for m in mods:
        ns = sorted({n for mm, n in items if mm == m}, key=str.lower)
        if ns:
            out.append(f"export {kw}{{\n  " + ",\n  ".join(ns) + f",\n}} from './{m}/index.js';")
    return "\n".join(out)
print(block(values, ''))
print()
print(block(types, 'type '))
