import { bool, dateTime, defineComponent, int, num, obj, ref, str } from './catalog-build';
import { EXPERIENCE_EVENT_CLASS_ID } from './catalog-event';

/**
 * The Web Details and Environment Details event field groups and their data types. `$id`s and
 * field names follow Adobe's public XDM (adobe/xdm, CC BY 4.0); the definitions are OpenXP's own,
 * trimmed to the commonly used fields.
 */
export const WEB_FIELD_GROUP_IDS = {
  webDetails: 'https://ns.adobe.com/xdm/context/experienceevent-web',
  environmentDetails: 'https://ns.adobe.com/xdm/context/experienceevent-environment-details',
} as const;

export const WEB_DATA_TYPE_IDS = {
  measure: 'https://ns.adobe.com/xdm/data/measure',
  webInfo: 'https://ns.adobe.com/xdm/context/webinfo',
  environment: 'https://ns.adobe.com/xdm/context/environment',
  browserDetails: 'https://ns.adobe.com/xdm/context/browserdetails',
  device: 'https://ns.adobe.com/xdm/context/device',
  placeContext: 'https://ns.adobe.com/xdm/context/placecontext',
} as const;

const T = WEB_DATA_TYPE_IDS;
const pixels = (title: string) => int(title, { minimum: 0 });
const labels = (values: string[]) => Object.fromEntries(values.map((v) => [v, v.replace(/^./, (c) => c.toUpperCase())]));

const measureDataType = defineComponent('datatypes', {
  $id: T.measure,
  title: 'Measure',
  description: 'A metric: how many times something happened, or its value.',
  definition: 'measure',
  properties: { id: str('Unique identifier'), value: num('Value', { description: 'The quantifiable value of the measure.' }) },
});

const webInfoDataType = defineComponent('datatypes', {
  $id: T.webInfo,
  title: 'Web information',
  description: 'Web page details, the link of a web interaction, and the referrer.',
  definition: 'webinfo',
  properties: {
    webPageDetails: obj('Web page details', {
      siteSection: str('Site section'),
      name: str('Name', { description: 'The normative name of the web page, used to classify it.' }),
      viewName: str('View Name'),
      URL: str('URL', { description: 'The normative or usual URL of the web page.' }),
      server: str('Server'),
      isErrorPage: bool('Is error page'),
      isHomePage: bool('Is home page'),
      pageViews: ref('Page Views', T.measure, 'View(s) of a web page.'),
    }),
    webInteraction: obj('Web interaction', {
      type: str('Type', { enum: ['download', 'exit', 'other'] }),
      URL: str('URL', { description: 'The link or URL used for this web interaction.' }),
      name: str('Name'),
      region: str('Region', { description: 'The area of the document the link belongs to, such as header or footer.' }),
      linkClicks: ref('Link Clicks', T.measure, 'Click(s) of a web link.'),
    }),
    webReferrer: obj('Web referrer', {
      URL: str('URL', { description: 'The referrer URL.' }),
      type: str('Type', { enum: ['internal', 'external', 'search_engine', 'typed_bookmarked', 'email', 'social', 'unknown', 'usenet'] }),
    }),
  },
});

const browserDetailsDataType = defineComponent('datatypes', {
  $id: T.browserDetails,
  title: 'Browser details',
  description: 'The browser: name, version, JavaScript support, user agent and accept language.',
  definition: 'browserdetails',
  properties: {
    name: str('Name'),
    vendor: str('Vendor'),
    version: str('Version'),
    acceptLanguage: str('Accept language', { description: 'An IETF language tag (RFC 5646).' }),
    cookiesEnabled: bool('Allows cookies'),
    thirdPartyCookiesEnabled: bool('Allows third-party cookies'),
    javaScriptEnabled: bool('JavaScript enabled'),
    javaScriptVersion: str('JavaScript version'),
    viewportHeight: pixels('Viewport height'),
    viewportWidth: pixels('Viewport width'),
    userAgent: str('User agent', { description: 'The HTTP user-agent string of the client request.' }),
  },
});

const environmentDataType = defineComponent('datatypes', {
  $id: T.environment,
  title: 'Environment',
  description: 'The transitory situation of an observation: application type, browser, operating system, network.',
  definition: 'environment',
  properties: {
    type: str('Type', { enum: ['browser', 'application', 'iot', 'external', 'widget'] }),
    browserDetails: ref('Browser details', T.browserDetails),
    operatingSystem: str('Operating system'),
    operatingSystemVersion: str('Operating system version'),
    operatingSystemVendor: str('Operating system vendor'),
    colorDepth: pixels('Color depth'),
    viewportHeight: pixels('Viewport height'),
    viewportWidth: pixels('Viewport width'),
    connectionType: str('Connection type', { 'meta:enum': labels(['dialup', 'dsl', 'cable', 'wireless_wifi', 'mobile', 'mobile_lte', 'lan', 'modem']) }),
    carrier: str('Mobile network carrier'),
    ipV4: str('IPv4', { format: 'ipv4' }),
    ipV6: str('IPv6', { format: 'ipv6' }),
    domain: str('Domain', { description: "The domain of the user's ISP." }),
    ISP: str('Internet service provider'),
  },
});

const deviceDataType = defineComponent('datatypes', {
  $id: T.device,
  title: 'Device',
  description: 'An application or browser instance that is trackable across sessions.',
  definition: 'device',
  properties: {
    typeID: str('Type identifier'),
    typeIDService: str('Type identifier service', { format: 'uri' }),
    type: str('Type', { 'meta:enum': labels(['mobile', 'tablet', 'desktop', 'ereader', 'gaming', 'television', 'settop', 'mediaplayer']) }),
    manufacturer: str('Manufacturer'),
    model: str('Model'),
    modelNumber: str('Model number'),
    screenHeight: pixels('Screen height'),
    screenWidth: pixels('Screen width'),
    colorDepth: pixels('Color depth'),
    screenOrientation: str('Screen orientation', { enum: ['portrait', 'landscape'] }),
  },
});

const placeContextDataType = defineComponent('datatypes', {
  $id: T.placeContext,
  title: 'Place context',
  description: 'Local circumstances of the observation: local time and time zone.',
  definition: 'placecontext',
  properties: {
    localTime: dateTime('Local time', { description: 'RFC 3339 local time with its offset, e.g. 2001-07-04T12:08:56-07:00.' }),
    ianaTimezone: str('Iana Timezone'),
    localTimezoneOffset: int('Local time zone offset', { description: 'Minutes from UTC, DST included.' }),
  },
});

export const webDetailsFieldGroup = defineComponent('mixins', {
  $id: WEB_FIELD_GROUP_IDS.webDetails,
  title: 'Web Details',
  description: 'Web events: page details, link interactions and referrer.',
  definition: 'experienceevent-web',
  intendedToExtend: [EXPERIENCE_EVENT_CLASS_ID],
  properties: { web: ref('Web', T.webInfo, 'Link clicks, web page details and referrer.') },
});

export const environmentDetailsFieldGroup = defineComponent('mixins', {
  $id: WEB_FIELD_GROUP_IDS.environmentDetails,
  title: 'Environment Details',
  description: 'Device, browser, local time and network details of an event.',
  definition: 'experienceevent-environment-details',
  intendedToExtend: [EXPERIENCE_EVENT_CLASS_ID],
  properties: {
    environment: ref('Environment', T.environment),
    device: ref('Device', T.device),
    placeContext: ref('Place context', T.placeContext),
  },
});

export const WEB_FIELD_GROUPS = [webDetailsFieldGroup, environmentDetailsFieldGroup];
export const WEB_DATA_TYPES = [measureDataType, webInfoDataType, browserDetailsDataType, environmentDataType, deviceDataType, placeContextDataType];
