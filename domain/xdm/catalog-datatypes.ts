import { bool, contactStatus, date, defineComponent, int, ref, str } from './catalog-build';

/**
 * Standard XDM data types. `$id`s and field names follow Adobe's public XDM (adobe/xdm,
 * CC BY 4.0); the definitions are OpenXP's own, trimmed to the fields OpenXP uses.
 */
export const DATA_TYPE_IDS = {
  address: 'https://ns.adobe.com/xdm/common/address',
  email: 'https://ns.adobe.com/xdm/context/emailaddress',
  phone: 'https://ns.adobe.com/xdm/context/phonenumber',
  personName: 'https://ns.adobe.com/xdm/context/person-name',
  person: 'https://ns.adobe.com/xdm/context/person',
  identityItem: 'https://ns.adobe.com/xdm/context/identityitem',
} as const;

const CONTACT_STATUSES = ['active', 'incomplete', 'pending_verification', 'blacklisted', 'blocked'];

export const addressDataType = defineComponent('datatypes', {
  $id: DATA_TYPE_IDS.address,
  title: 'Postal address',
  description: "A postal address: a person's home, work or preferred store location.",
  definition: 'address',
  properties: {
    primary: bool('Primary', { description: 'Primary address indicator; one per profile at a time.' }),
    label: str('Label', { description: 'Free-form name of the address.' }),
    street1: str('Street 1', { description: 'Street number and name, apartment number.' }),
    street2: str('Street 2'),
    street3: str('Street 3'),
    street4: str('Street 4'),
    city: str('City'),
    region: str('Region', { description: 'Region, county or district.' }),
    stateProvince: str('State or province', { description: 'ISO 3166-2 subdivision code, e.g. US-CA.' }),
    state: str('State', { description: 'Free-form state name.' }),
    postalCode: str('Postal code'),
    postOfficeBox: str('Post office box', { maxLength: 20 }),
    countryCode: str('Country code', { description: 'ISO 3166-1 alpha-2 country code.', pattern: '^[A-Z]{2}$' }),
    country: str('Country', { description: 'Free-form country name, in any language.' }),
    status: contactStatus('address', CONTACT_STATUSES),
    statusReason: str('Status reason'),
    lastVerifiedDate: date('Last verified date'),
  },
});

export const emailDataType = defineComponent('datatypes', {
  $id: DATA_TYPE_IDS.email,
  title: 'Email address',
  description: 'A standard email address.',
  definition: 'emailaddress',
  properties: {
    address: str('Address', { format: 'email', description: "The technical address, e.g. 'name@domain.com' (RFC 2822)." }),
    primary: bool('Primary', { description: 'Primary email indicator; one per profile at a time.' }),
    label: str('Label', { description: 'Display information, e.g. the name shown next to the address.' }),
    type: str('Type', {
      description: "How the account relates to the person, e.g. 'work' or 'personal'.",
      'meta:enum': { unknown: 'Unknown', personal: 'Personal', work: 'Work', education: 'Education' },
    }),
    status: contactStatus('email address', CONTACT_STATUSES),
    statusReason: str('Status reason'),
  },
});

export const phoneDataType = defineComponent('datatypes', {
  $id: DATA_TYPE_IDS.phone,
  title: 'Phone number',
  description: 'A phone number through which a person can be reached.',
  definition: 'phonenumber',
  properties: {
    number: str('Number', { description: 'The number as written, with any brackets, hyphens or extension.' }),
    primary: bool('Primary', { description: 'Primary number indicator; one per communication channel.' }),
    countryCode: str('Country calling code', { description: 'E.164 country calling code.', pattern: '^[0-9]{1,3}$' }),
    extension: str('Extension'),
    status: contactStatus('phone number', ['active', 'incomplete', 'blacklisted', 'blocked']),
    statusReason: str('Status reason'),
    validity: str('Validity', {
      'meta:enum': { consistent: 'Consistent', inconsistent: 'Inconsistent', incomplete: 'Incomplete', successfullyUsed: 'Successfully used' },
    }),
  },
});

export const personNameDataType = defineComponent('datatypes', {
  $id: DATA_TYPE_IDS.personName,
  title: 'Person name',
  description: 'Full name of a person.',
  definition: 'personname',
  properties: {
    firstName: str('First name'),
    middleName: str('Middle name'),
    lastName: str('Last name'),
    fullName: str('Full name', { description: 'The full name in the writing order of its language; preferred over first/last.' }),
    courtesyTitle: str('Courtesy title', { description: 'Title or salutation such as Mr., Ms. or Dr.' }),
    suffix: str('Suffix', { description: 'Jr., Sr., PhD, III, ...' }),
  },
});

export const personDataType = defineComponent('datatypes', {
  $id: DATA_TYPE_IDS.person,
  title: 'Person',
  description: 'An individual person: a customer, contact or owner.',
  definition: 'person',
  properties: {
    name: ref('Full name', DATA_TYPE_IDS.personName, "The person's name."),
    birthDate: date('Birth date', { description: 'The full date the person was born.' }),
    birthDayAndMonth: str('Birth date (MM-DD)', { pattern: '^[0-1][0-9]-[0-3][0-9]$', description: 'Day and month of birth when the year is unknown.' }),
    birthYear: int('Birth year', { minimum: 1, maximum: 32767 }),
    gender: str('Gender', {
      enum: ['male', 'female', 'not_specified', 'non_specific'],
      'meta:enum': { male: 'Male', female: 'Female', not_specified: 'Not Specified', non_specific: 'Non-specific' },
      default: 'not_specified',
    }),
    maritalStatus: str('Marital status', {
      enum: ['married', 'single', 'divorced', 'widowed', 'not_specified'],
      default: 'not_specified',
    }),
    nationality: str('Nationality', { pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 code.' }),
  },
});

export const identityItemDataType = defineComponent('datatypes', {
  $id: DATA_TYPE_IDS.identityItem,
  title: 'Identity',
  description: 'One identity of a person within a namespace.',
  definition: 'identityitem',
  required: ['id'],
  properties: {
    id: str('Identifier', { description: 'The identity value, valid within its namespace.' }),
    authenticatedState: str('Authenticated state', {
      enum: ['ambiguous', 'authenticated', 'loggedOut'],
      default: 'ambiguous',
    }),
    primary: bool('Primary', { default: false, description: 'Use this identity as the primary one of the record.' }),
  },
});

export const STANDARD_DATA_TYPES = [
  addressDataType,
  emailDataType,
  phoneDataType,
  personNameDataType,
  personDataType,
  identityItemDataType,
];
