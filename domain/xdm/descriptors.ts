import { z } from 'zod';
import { DomainError } from '../shared/errors';
import { fieldPaths } from './compose';
import { unprocessable } from './input';
import type { DescriptorDoc } from './registry-model';
import type { ResolvedSchema } from './types';

/** Schema descriptors: identity (`xdm:descriptorIdentity`) and display overrides (`xdm:alternateDisplayInfo`). */

/** AEP's guardrail: at most this many descriptors per sandbox. */
export const DESCRIPTOR_LIMIT = 4000;

const source = {
  'xdm:sourceSchema': z.string().min(1),
  'xdm:sourceVersion': z.number().int().positive().default(1),
  'xdm:sourceProperty': z.string().regex(/^\/[A-Za-z_]/, 'must be a JSON pointer such as /personalEmail/address'),
};
/** Localized text: `{"en_us": "Loyalty score"}`. */
const localized = z.record(z.string(), z.string());

export const descriptorInput = z.discriminatedUnion('@type', [
  z.looseObject({
    '@type': z.literal('xdm:descriptorIdentity'),
    ...source,
    'xdm:namespace': z.string().min(1),
    'xdm:property': z.string().default('xdm:code'),
    'xdm:isPrimary': z.boolean().default(false),
  }),
  z.looseObject({
    '@type': z.literal('xdm:alternateDisplayInfo'),
    ...source,
    'xdm:title': localized.optional(),
    'xdm:description': localized.optional(),
    'meta:enum': z.record(z.string(), z.string()).optional(),
    'meta:excludeMetaEnum': z.record(z.string(), z.string()).optional(),
  }),
]);
export type DescriptorInput = z.infer<typeof descriptorInput>;

/** `/personalEmail/address` → `personalEmail.address`. */
export const pointerToPath = (pointer: string) =>
  pointer.replace(/^\//, '').split('/').map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~')).join('.');

/**
 * A descriptor must point at a field of its schema (an identity at a string field), say something
 * new about it, and leave the schema at most one primary identity. `others` are the schema's
 * descriptors; `selfId` is left out of them on replace.
 */
export function checkDescriptor(d: DescriptorInput, resolved: ResolvedSchema, others: readonly DescriptorDoc[], selfId?: string): void {
  const pointer = d['xdm:sourceProperty'];
  const type = fieldPaths(resolved).get(pointerToPath(pointer));
  if (!type) throw new DomainError('UNKNOWN_FIELD', `xdm:sourceProperty: ${pointer} is not a field of schema ${resolved.$id}`, 'xdm:sourceProperty');
  if (d['@type'] === 'xdm:descriptorIdentity' && type !== 'string') {
    throw new DomainError('UNKNOWN_FIELD', `xdm:sourceProperty: ${pointer} is not a string field of the schema (it is ${type}); identities are strings`, 'xdm:sourceProperty');
  }
  const rest = others.filter((o) => o.id !== selfId);
  if (rest.some((o) => o['@type'] === d['@type'] && o['xdm:sourceProperty'] === pointer)) {
    throw unprocessable(`xdm:sourceProperty: ${pointer} already has a ${d['@type']} descriptor`, 'xdm:sourceProperty');
  }
  const primary = d['@type'] === 'xdm:descriptorIdentity' && d['xdm:isPrimary'] ? rest.find((o) => o['@type'] === 'xdm:descriptorIdentity' && o['xdm:isPrimary']) : undefined;
  if (primary) throw unprocessable(`xdm:isPrimary: schema already has a primary identity (${primary['xdm:sourceProperty']})`, 'xdm:isPrimary');
}

/** The stored descriptor: the request as given, with its id and the schema's canonical `$id`. */
export function descriptorDoc(d: DescriptorInput, id: string, schemaId: string): DescriptorDoc {
  return { ...d, id, '@id': id, 'xdm:sourceSchema': schemaId } as DescriptorDoc;
}
