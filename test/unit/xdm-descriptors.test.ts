import type { DomainError } from '../../domain/shared/errors';
import { PROFILE_CLASS_ID, PROFILE_FIELD_GROUP_IDS as FG, checkDescriptor, descriptorDoc, descriptorInput, findStandard, pointerToPath, resolveSchema, schemaIds } from '../../domain/xdm';
import type { DescriptorInput } from '../../domain/xdm';
import type { DescriptorDoc } from '../../domain/xdm/registry-model';

const schema = resolveSchema(
  { ...schemaIds('acme', 'de'), title: 'S', type: 'object', 'meta:class': PROFILE_CLASS_ID, 'meta:extends': [], allOf: [PROFILE_CLASS_ID, FG.personalDetails, FG.loyaltyDetails].map(($ref) => ({ $ref })), version: '1.0' },
  findStandard,
);
const identity = (property: string, primary = false): DescriptorInput =>
  descriptorInput.parse({ '@type': 'xdm:descriptorIdentity', 'xdm:sourceSchema': schema.$id, 'xdm:sourceProperty': property, 'xdm:namespace': 'Email', 'xdm:isPrimary': primary });
const display = (property: string): DescriptorInput =>
  descriptorInput.parse({ '@type': 'xdm:alternateDisplayInfo', 'xdm:sourceSchema': schema.$id, 'xdm:sourceProperty': property, 'xdm:title': { en_us: 'Points' } });
const stored = (d: DescriptorInput, id: string): DescriptorDoc => descriptorDoc(d, id, schema.$id);

function errorOf(fn: () => void): DomainError {
  try {
    fn();
  } catch (e) {
    return e as DomainError;
  }
  throw new Error('expected an error');
}

describe('descriptors', () => {
  it('parses with AEP defaults and refuses unsupported types', () => {
    expect(identity('/personalEmail/address')).toMatchObject({ 'xdm:sourceVersion': 1, 'xdm:property': 'xdm:code', 'xdm:isPrimary': false });
    expect(descriptorInput.safeParse({ '@type': 'xdm:descriptorOneToOne', 'xdm:sourceSchema': 'x', 'xdm:sourceProperty': '/a' }).success).toBe(false);
    expect(pointerToPath('/a~1b/c')).toBe('a/b.c');
  });

  it('accepts an identity on a string field and display info on any field', () => {
    expect(() => checkDescriptor(identity('/personalEmail/address', true), schema, [])).not.toThrow();
    expect(() => checkDescriptor(display('/loyalty/points'), schema, [])).not.toThrow();
    expect(() => checkDescriptor(display('/loyalty'), schema, [])).not.toThrow();
  });

  it.each([
    ['an unknown field', () => checkDescriptor(identity('/nope/address'), schema, []), 'UNKNOWN_FIELD', 'xdm:sourceProperty'],
    ['an identity on a number', () => checkDescriptor(identity('/loyalty/points'), schema, []), 'UNKNOWN_FIELD', 'xdm:sourceProperty'],
    ['a second primary identity', () => checkDescriptor(identity('/mobilePhone/number', true), schema, [stored(identity('/personalEmail/address', true), 'a')]), 'UNPROCESSABLE', 'xdm:isPrimary'],
    ['a duplicate', () => checkDescriptor(display('/loyalty/points'), schema, [stored(display('/loyalty/points'), 'a')]), 'UNPROCESSABLE', 'xdm:sourceProperty'],
  ])('refuses %s', (_name, fn, code, field) => {
    expect(errorOf(fn)).toMatchObject({ code, field });
  });

  it('leaves the descriptor itself out when it is replaced', () => {
    const primary = stored(identity('/personalEmail/address', true), 'a');
    expect(() => checkDescriptor(identity('/personalEmail/address', true), schema, [primary], 'a')).not.toThrow();
  });
});
