import { BEHAVIOR_IDS } from './catalog-behaviors';
import { arr, dateTime, defineComponent, int, num, obj, str } from './catalog-build';
import { DATA_TYPE_IDS } from './catalog-datatypes';

/**
 * XDM ExperienceEvent, IdentityMap and the event field groups. `$id`s and field names follow
 * Adobe's public XDM (adobe/xdm, CC BY 4.0); the definitions are OpenXP's own.
 */
export const EXPERIENCE_EVENT_CLASS_ID = 'https://ns.adobe.com/xdm/context/experienceevent';
export const IDENTITY_MAP_FIELD_GROUP_ID = 'https://ns.adobe.com/xdm/context/identitymap';
export const COMMERCE_FIELD_GROUP_ID = 'https://ns.adobe.com/xdm/context/experienceevent-commerce';

/** Fits any class (no `meta:intendedToExtend` entries), as in AEP. */
export const identityMapFieldGroup = defineComponent('mixins', {
  $id: IDENTITY_MAP_FIELD_GROUP_ID,
  title: 'IdentityMap',
  description: 'Identities of the person keyed by namespace code; each namespace holds an array of identities.',
  definition: 'identitymap',
  intendedToExtend: [],
  properties: {
    identityMap: {
      title: 'Identity map',
      type: 'object',
      'meta:xdmType': 'map',
      additionalProperties: arr('Identities', { $ref: DATA_TYPE_IDS.identityItem }),
    },
  },
});

const EVENT_TYPES = [
  'commerce.checkouts',
  'commerce.productListAdds',
  'commerce.productListOpens',
  'commerce.productListRemovals',
  'commerce.productListViews',
  'commerce.productViews',
  'commerce.purchases',
  'commerce.saveForLaters',
  'web.webpagedetails.pageViews',
  'web.webinteraction.linkClicks',
  'formFilledOut',
  'directMarketing.emailSent',
  'directMarketing.emailOpened',
  'directMarketing.emailClicked',
  'directMarketing.emailBounced',
  'directMarketing.emailUnsubscribed',
  'pushTracking.applicationOpened',
  'message.feedback',
];

/** ExperienceEvent includes identityMap, as AEP's class does. */
export const experienceEventClass = defineComponent('classes', {
  $id: EXPERIENCE_EVENT_CLASS_ID,
  title: 'XDM ExperienceEvent',
  description: 'A time-stamped fact of what happened to, or was done by, an individual.',
  definition: 'experienceevent',
  extends: [BEHAVIOR_IDS.timeSeries, IDENTITY_MAP_FIELD_GROUP_ID],
  includes: [IDENTITY_MAP_FIELD_GROUP_ID],
  required: ['_id', 'timestamp'],
  properties: {
    _id: str('Identifier', { description: 'A unique identifier of the event.' }),
    timestamp: dateTime('Timestamp', { description: 'When the event happened.' }),
    eventType: str('Event type', {
      description: 'The primary type of this time-series record.',
      'meta:enum': Object.fromEntries(EVENT_TYPES.map((t) => [t, t])),
    }),
    eventMergeId: str('ExperienceEvent merge ID', { description: 'Correlates events that are the same event.' }),
    producedBy: str('Produced by', {
      'meta:enum': { self: 'Self', system: 'System', salesRef: 'Sales representative', customerRep: 'Customer representative' },
    }),
  },
});

const measure = (title: string) => obj(title, { id: str('Unique identifier'), value: num('Value') });

export const commerceFieldGroup = defineComponent('mixins', {
  $id: COMMERCE_FIELD_GROUP_ID,
  title: 'Commerce Details',
  description: 'Products (SKU, name, quantity) and cart operations (order, checkout, purchase).',
  definition: 'experienceevent-commerce',
  intendedToExtend: [EXPERIENCE_EVENT_CLASS_ID],
  properties: {
    commerce: obj('Commerce', {
      order: obj('Order', {
        purchaseID: str('Purchase ID'),
        priceTotal: num('Price total'),
        currencyCode: str('Currency code', { pattern: '^[A-Z]{3}$' }),
      }),
      purchases: measure('Purchases'),
      productViews: measure('Product views'),
      productListViews: measure('Product list views'),
      productListAdds: measure('Product list adds'),
      productListRemovals: measure('Product list removals'),
      checkouts: measure('Checkouts'),
    }),
    productListItems: arr(
      'Product list items',
      obj('Product list item', {
        SKU: str('SKU'),
        name: str('Name'),
        quantity: int('Quantity'),
        priceTotal: num('Price total'),
        currencyCode: str('Currency code', { pattern: '^[A-Z]{3}$' }),
        productAddMethod: str('Product add method'),
      }),
    ),
  },
});

export const EVENT_FIELD_GROUPS = [identityMapFieldGroup, commerceFieldGroup];
