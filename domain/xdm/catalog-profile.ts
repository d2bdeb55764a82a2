import { BEHAVIOR_IDS } from './catalog-behaviors';
import { arr, dateTime, defineComponent, num, obj, ref, str } from './catalog-build';
import { DATA_TYPE_IDS } from './catalog-datatypes';

/**
 * XDM Individual Profile and the profile field groups. `$id`s and field names follow Adobe's
 * public XDM (adobe/xdm, CC BY 4.0); the definitions are OpenXP's own.
 */
export const PROFILE_CLASS_ID = 'https://ns.adobe.com/xdm/context/profile';

export const PROFILE_FIELD_GROUP_IDS = {
  personalDetails: 'https://ns.adobe.com/xdm/context/profile-personal-details',
  personDetails: 'https://ns.adobe.com/xdm/context/profile-person-details',
  loyaltyDetails: 'https://ns.adobe.com/xdm/mixins/profile/profile-loyalty-details',
  workDetails: 'https://ns.adobe.com/xdm/context/profile-work-details',
  consents: 'https://ns.adobe.com/xdm/mixins/profile-consents',
} as const;

export const profileClass = defineComponent('classes', {
  $id: PROFILE_CLASS_ID,
  title: 'XDM Individual Profile',
  description: 'The attributes and interests of an identified or partially identified individual.',
  definition: 'profile',
  extends: [BEHAVIOR_IDS.record],
  properties: {
    _id: str('Identifier', { description: 'A unique identifier for the record.' }),
    personID: str('Person ID', { description: 'Unique identifier of the person/profile fragment.' }),
    createdByBatchID: str('Created by batch identifier', { description: 'The batch that created the record.' }),
    modifiedByBatchID: str('Modified by batch identifier', { description: 'The batch that last modified the record.' }),
    repositoryCreatedBy: str('Created by user identifier'),
    repositoryLastModifiedBy: str('Modified by user identifier'),
  },
});

export const personalDetailsFieldGroup = defineComponent('mixins', {
  $id: PROFILE_FIELD_GROUP_IDS.personalDetails,
  title: 'Personal Contact Details',
  description: 'Contact information of a person: home address, phone numbers, fax and email.',
  definition: 'profile-personal-details',
  intendedToExtend: [PROFILE_CLASS_ID, 'https://ns.adobe.com/xdm/context/experienceevent'],
  properties: {
    homeAddress: ref('Home address', DATA_TYPE_IDS.address, 'A home postal address.'),
    personalEmail: ref('Personal email', DATA_TYPE_IDS.email, 'A personal email address.'),
    homePhone: ref('Home phone', DATA_TYPE_IDS.phone, 'Home phone number.'),
    mobilePhone: ref('Mobile phone', DATA_TYPE_IDS.phone, 'Mobile phone number.'),
    faxPhone: ref('Fax phone', DATA_TYPE_IDS.phone, 'Fax phone number.'),
  },
});

export const personDetailsFieldGroup = defineComponent('mixins', {
  $id: PROFILE_FIELD_GROUP_IDS.personDetails,
  title: 'Demographic Details',
  description: 'Demographic information of a person such as name, gender and birth date.',
  definition: 'profile-person-details',
  intendedToExtend: [PROFILE_CLASS_ID],
  properties: {
    person: ref('Person', DATA_TYPE_IDS.person, 'An individual actor, contact or owner.'),
  },
});

export const loyaltyDetailsFieldGroup = defineComponent('mixins', {
  $id: PROFILE_FIELD_GROUP_IDS.loyaltyDetails,
  title: 'Loyalty Details',
  description: 'Loyalty programme membership: IDs, points, join date, programme, tier and status.',
  definition: 'loyalty-details',
  intendedToExtend: [PROFILE_CLASS_ID],
  properties: {
    loyalty: obj(
      'Loyalty',
      {
        loyaltyID: arr('Program ID', str('Program ID'), { description: 'Loyalty programme IDs of the customer.' }),
        program: str('Program name'),
        points: num('Program points balance'),
        pointsRedeemed: num('Points redeemed'),
        pointsExpiration: arr(
          'Points expiration',
          obj('Points expiring', {
            pointsExpiring: num('Points expiring'),
            pointsExpirationDate: dateTime('Points expiration date'),
          }),
        ),
        tier: str('Tier'),
        status: str('Status', { description: 'Programme status, e.g. active, disabled or suspended.' }),
        joinDate: dateTime('Program join date'),
        upgradeDate: dateTime('Upgrade date', { description: 'When the customer moved up to the current tier.' }),
      },
      { description: "The customer's loyalty rewards." },
    ),
  },
});

export const workDetailsFieldGroup = defineComponent('mixins', {
  $id: PROFILE_FIELD_GROUP_IDS.workDetails,
  title: 'Work Contact Details',
  description: 'Work address, work email, work phone and organizations of a person.',
  definition: 'profile-work-details',
  intendedToExtend: [PROFILE_CLASS_ID],
  properties: {
    workAddress: ref('Work address', DATA_TYPE_IDS.address, 'A work postal address.'),
    workEmail: ref('Work email', DATA_TYPE_IDS.email, 'A work email address.'),
    workPhone: ref('Work phone', DATA_TYPE_IDS.phone, 'Work phone number.'),
    organizations: arr('Organizations', str('Organization')),
  },
});

/** A consent choice: y/n, pending, unknown, defaults, or the legal basis that makes consent unnecessary. */
const choice = () =>
  str('Choice value', {
    description: 'The consent choice, or the basis of processing that makes consent unnecessary.',
    enum: ['y', 'n', 'p', 'u', 'dy', 'dn', 'LI', 'CT', 'CP', 'VI', 'PI'],
  });
const consentField = (title: string) => obj(title, { val: choice() }, { required: ['val'] });
const marketingField = (title: string) =>
  obj(title, { val: choice(), time: dateTime('Preference timestamp'), reason: str('Opt-out reason', { maxLength: 16 }) }, { required: ['val'] });
const CHANNELS = ['email', 'push', 'inApp', 'sms', 'phone', 'phyMail', 'inVehicle', 'inHome', 'iot', 'social', 'other', 'none', 'unknown'];

export const consentsFieldGroup = defineComponent('mixins', {
  $id: PROFILE_FIELD_GROUP_IDS.consents,
  title: 'Consent and Preference Details',
  description: 'Privacy, personalization and marketing preferences (consents) of a person.',
  definition: 'profile-consents',
  intendedToExtend: [PROFILE_CLASS_ID],
  properties: {
    consents: obj('Consents and Preferences', {
      collect: consentField('Data Collection'),
      share: consentField('Share Data'),
      personalize: obj('Personalization Preferences', { content: consentField('Personalize Content') }),
      marketing: obj('Marketing Preferences', {
        preferred: str('Preferred Channel', { enum: CHANNELS }),
        any: marketingField('General Direct Marketing Preference'),
        email: marketingField('Receive email'),
        push: marketingField('Receive push notifications'),
        sms: marketingField('Receive SMS'),
      }),
      metadata: obj('Consent and Preference Metadata', { time: dateTime('Consent/Preferences timestamp') }),
    }),
  },
});

export const PROFILE_FIELD_GROUPS = [personalDetailsFieldGroup, personDetailsFieldGroup, loyaltyDetailsFieldGroup, workDetailsFieldGroup, consentsFieldGroup];
