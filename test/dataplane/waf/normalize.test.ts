import { commandForm, fold, htmlDecode, pathForm, percentDecode, percentDecodeOnce, resolveDotSegments, sqlForm } from '../../../src/dataplane/waf/normalize';

describe('percent-decoding', () => {
  test.each([
    ['%2e%2e%2f', '../'],
    ['%252e%252e%252f', '../'],
    ['%25252e%25252e%25252f', '../'],
    ['%c0%ae%c0%ae%c0%af', '../'],
    ['%e0%80%ae', '.'],
    ['%c1%9c', '\\'],
    ['%u002e%u002e%u2215', '..∕'],
    ['caf%c3%a9', 'café'],
    ['%zz%2', '%zz%2'],
    ['100%', '100%'],
    ['%ff%fe', '\u00ff\u00fe'],
  ])('%s decodes to %j', (raw, decoded) => {
    expect(percentDecode(raw, false)).toBe(decoded);
  });

  test('`+` is a space in a query value, not in a path, and only in the first round', () => {
    expect(percentDecode('a+b', true)).toBe('a b');
    expect(percentDecode('a+b', false)).toBe('a+b');
    expect(percentDecode('a%252B', true)).toBe('a+');
  });

  test('at most three rounds: a fourth encoding is left', () => {
    expect(percentDecode('%2525252e', false)).toBe('%2e');
    expect(percentDecodeOnce('%252e', false)).toBe('%2e');
  });
});

describe('forms of a value', () => {
  test('fold lower-cases and turns full-width forms to ASCII', () => {
    expect(fold('ＳＥＬＥＣＴ．．／')).toBe('select../');
    expect(fold('UNION')).toBe('union');
  });

  test.each([
    ['&lt;script&gt;', '<script>'],
    ['&#x3C;svg&#x3E;', '<svg>'],
    ['&#60&#62', '<>'],
    ['&#0000060;', '<'],
    ['java&Tab;script&colon;', 'java\tscript:'],
    ['\\x3cimg\\u003e', '<img>'],
    ['\\u{3c}', '<'],
    ['&notanentity;', '&notanentity;'],
  ])('htmlDecode(%j) is %j', (raw, decoded) => {
    expect(htmlDecode(raw)).toBe(decoded);
  });

  test.each([
    ['union/**/select', 'union select'],
    ['union/*!50000select*/', 'union select '],
    ['1 /* open', '1 '],
    ['union\n\t  all\u000bselect', 'union all select'],
  ])('sqlForm(%j) is %j', (raw, form) => {
    expect(sqlForm(raw)).toBe(form);
  });

  test.each([
    ['..\\..\\windows\\win.ini', '../../windows/win.ini'],
    ['/etc/./passwd', '/etc/passwd'],
    ['././/etc//passwd', 'etc/passwd'],
    ['../../etc/passwd\0.png', '../../etc/passwd.png'],
    ['..∕..∕etc', '../../etc'],
  ])('pathForm(%j) is %j', (raw, form) => {
    expect(pathForm(raw)).toBe(form);
  });

  test.each([
    ["c'a't /e\"t\"c/pa\\sswd", 'cat/etc/passwd'],
    ['cat${ifs}/etc/passwd', 'cat/etc/passwd'],
    ['{cat,/etc/passwd}', '{cat/etc/passwd}'],
    ['x\nid', 'x;id'],
  ])('commandForm(%j) is %j', (raw, form) => {
    expect(commandForm(raw)).toBe(form);
  });

  test.each([
    ['/v1/chat/../models', '/v1/models', false],
    ['/v1/../../etc/passwd', '/etc/passwd', true],
    ['/a/./b/..;/c', '/a/c', false],
  ])('resolveDotSegments(%j) is %j', (path, resolved, escapesRoot) => {
    expect(resolveDotSegments(path)).toEqual({ path: resolved, escapesRoot });
  });
});
