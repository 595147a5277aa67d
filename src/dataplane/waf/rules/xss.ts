import { DATA_AND_MESSAGE_KINDS, familyRules } from './rule';

/**
 * Cross-site scripting, read on the HTML form of each value (decoded, HTML entities and JavaScript escapes
 * resolved, lower-cased): `&#x3C;svg/onload&#61;alert(1)>` reads as `<svg/onload=alert(1)>`. A gateway answers
 * JSON, not HTML, but the values it forwards (user ids, metadata, headers) end up in dashboards and logs viewed in
 * browsers, so markup in them is refused as a web application's WAF refuses it.
 */
export const xssRules = familyRules(
  'xss',
  [
    // Script elements (CRS 941110).
    { crs: ['941110'], view: 'html', pattern: /<script[\s/>]|<\/script\b/ },
    // Event handler attributes: ` onerror=`, `/onload=`, `"onmouseover=` (CRS 941120).
    { crs: ['941120'], view: 'html', pattern: /[\s"'`/;+]on[a-z]{3,30} ?=/ },
    // Script URIs (also split by whitespace or control characters, which browsers skip: `java\tscript:`) and HTML data URIs (CRS 941130, 941140, 941170).
    {
      crs: ['941130', '941140', '941170'],
      view: 'html',
      pattern: /j[\s\0]{0,4}a[\s\0]{0,4}v[\s\0]{0,4}a[\s\0]{0,4}s[\s\0]{0,4}c[\s\0]{0,4}r[\s\0]{0,4}i[\s\0]{0,4}p[\s\0]{0,4}t[\s\0]{0,4}:|\b(?:vbscript|livescript|mocha) ?:|data: ?(?:text\/html|text\/xml|image\/svg\+xml|application\/(?:x-)?(?:javascript|xhtml\+xml))\b/,
    },
    // Markup: an element that can load or run something, or any element or comment start (CRS 941160, 941320).
    {
      crs: ['941160', '941320'],
      view: 'html',
      pattern: /<(?:iframe|frame|frameset|object|embed|applet|svg|math|img|image|video|audio|source|body|html|meta|link|style|base|form|input|button|textarea|select|details|marquee|isindex|a|div|table|td|bgsound|xml|animate|set|keygen|template|noscript|plaintext|xmp|title|dialog|portal|layer|ilayer|x|xss|[a-z][a-z0-9-]{0,30})[\s/>]|<\/(?:script|style|head|body|html|title|textarea|iframe|noscript|svg|xmp|template|a|div)>|<!--|<!\[cdata\[|<\?(?:xml|import)\b|<!doctype|<!entity/,
    },
    // JavaScript that reads or sends a page's secrets, or runs code (CRS 941180, 941370, 941390).
    {
      crs: ['941180', '941370', '941390'],
      view: 'html',
      pattern: /\b(?:document ?\. ?(?:cookie|domain|write|location)|window ?\. ?(?:location|open|name)|location ?\. ?(?:href|hash|replace)|string ?\. ?fromcharcode|\.innerhtml|\.outerhtml|globalthis|(?:top|self|parent|window)\[)|\b(?:alert|prompt|confirm|eval|settimeout|setinterval|atob|fetch|import|function) ?[`(]/,
    },
    // JSFuck and similar encodings: long runs of `[]()!+` (CRS 941360).
    { crs: ['941360'], view: 'html', pattern: /[[\]()!+]{20}/ },
    // UTF-7 encoded markup `+ADw-script+AD4-` (CRS 941350), on the raw value since `+` is a space once decoded.
    { crs: ['941350'], view: 'raw', pattern: /\+ad[w4]-/ },
    // Old browsers' CSS script vectors: expression(), -moz-binding, behavior:, @import, url(javascript:) (CRS 941190, 941200-941300).
    { crs: ['941190', '941200', '941300'], view: 'html', pattern: /\bexpression ?\(|-moz-binding|\bbehavior ?:|@import\b|url ?\( ?['"]? ?javascript/ },
    // Breaking out of an attribute or element to start a new one: `"><`, `'><`, `</tag><` (CRS 941100 libinjection fingerprints).
    { crs: ['941100'], view: 'html', pattern: /['"`] ?\/? ?>[^<]{0,40}<[a-z!/]/ },
  ],
  DATA_AND_MESSAGE_KINDS,
);
