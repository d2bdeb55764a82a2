import { DomainError } from './errors';

export interface PatchOp { op: 'add' | 'remove' | 'replace' | 'test'; path: string; value?: unknown }

const unescape = (s: string) => s.replaceAll('~1', '/').replaceAll('~0', '~');

/** RFC 6902 add/remove/replace/test on a copy of a JSON document; `-` appends to arrays. */
export function applyPatch<T>(doc: T, ops: PatchOp[]): T {
  const out = structuredClone(doc) as unknown as Record<string, unknown>;
  ops.forEach((o, i) => {
    if (!['add', 'remove', 'replace', 'test'].includes(o.op)) throw new DomainError('VALIDATION', `[${i}].op: unsupported operation "${o.op}"`, `[${i}].op`);
    if (typeof o.path !== 'string' || !o.path.startsWith('/')) throw new DomainError('VALIDATION', `[${i}].path: must be a JSON pointer starting with "/"`, `[${i}].path`);
    const keys = o.path.slice(1).split('/').map(unescape);
    const last = keys.pop()!;
    let parent: any = out;
    for (const k of keys) {
      if (parent === null || typeof parent !== 'object' || !(k in parent)) {
        if (o.op === 'add' && parent && typeof parent === 'object' && !Array.isArray(parent)) parent[k] = {};
        else throw new DomainError('UNPROCESSABLE', `[${i}].path: ${o.path} does not exist`, `[${i}].path`);
      }
      parent = parent[k];
    }
    if (Array.isArray(parent)) {
      const idx = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(idx) || idx < 0 || idx > parent.length) throw new DomainError('UNPROCESSABLE', `[${i}].path: bad array index in ${o.path}`, `[${i}].path`);
      if (o.op === 'add') parent.splice(idx, 0, o.value);
      else if (o.op === 'remove') parent.splice(idx, 1);
      else if (o.op === 'replace') parent[idx] = o.value;
      else if (JSON.stringify(parent[idx]) !== JSON.stringify(o.value)) throw new DomainError('PRECONDITION_FAILED', `[${i}]: test failed at ${o.path}`);
      return;
    }
    if (o.op === 'add') parent[last] = o.value;
    else if (!(last in parent)) throw new DomainError('UNPROCESSABLE', `[${i}].path: ${o.path} does not exist`, `[${i}].path`);
    else if (o.op === 'remove') delete parent[last];
    else if (o.op === 'replace') parent[last] = o.value;
    else if (JSON.stringify(parent[last]) !== JSON.stringify(o.value)) throw new DomainError('PRECONDITION_FAILED', `[${i}]: test failed at ${o.path}`);
  });
  return out as unknown as T;
}
