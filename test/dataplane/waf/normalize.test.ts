import { commandForm, compressSpaces, fold, htmlDecode, isSpace, pathForm, percentDecode, percentDecodeOnce, resolveDotSegments, sqlForm } from '../../../src/dataplane/waf/normalize';

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

/**
 * The forms are built a code unit at a time (worst-case cost: a regular expression replace costs a replacement per
 * character on `j\tj\t…` or `&lt&lt…`). These are the edges where such a pass could differ from the replaces it
 * stands for: runs that span what is deleted, references read on the layer before's output, greedy digit counts.
 */
describe('forms written a unit at a time', () => {
  test.each([
    [compressSpaces, 'a \t\n b', 'a b'],
    [compressSpaces, '\u2028x\u3000', ' x '],
    [compressSpaces, 'j\tj\tj', 'j j j'],
    [commandForm, "a\r'\nb", 'a;b'],
    [commandForm, 'a , /b', 'a/b'],
    [commandForm, 'x ,(y', 'x(y'],
    [commandForm, 'a,b,,c', 'a b c'],
    [commandForm, 'cat$ifs$9/etc', 'cat/etc'],
    [htmlDecode, '&#38;lt;', '<'],
    [htmlDecode, '&#x0000000000003c', '<'],
    [htmlDecode, '&#1114112;', '&#1114112;'],
    [htmlDecode, '&#x00;a', '&#x00;a'],
    [htmlDecode, '&#x1F600', '😀'],
    [htmlDecode, '\\u{1f600}', '😀'],
    [htmlDecode, '\\u{1234567}', '\\u{1234567}'],
    [htmlDecode, '\\\\x41', '\\A'],
    [htmlDecode, '&LTx&lt;&ltltltltlt', '&LTx<&ltltltltlt'],
    [pathForm, '/a\0/b', '/a/b'],
    [pathForm, '/\0/etc//./x', '/etc/x'],
    [pathForm, '∕∕etc＼..\\a', '/etc/../a'],
    [(s: string) => percentDecode(s, true), '+%41+', ' A '],
    [(s: string) => percentDecode(s, false), '%f0%9f%98%80%u%41', '😀%uA'],
  ])('%p(%j) is %j', (form, value, expected) => {
    expect(form(value)).toBe(expected);
  });

  test('isSpace is `\\s` for every UTF-16 code unit', () => {
    const differ: number[] = [];
    for (let c = 0; c <= 0xffff; c++) if (isSpace(c) !== /\s/.test(String.fromCharCode(c))) differ.push(c);
    expect(differ).toEqual([]);
  });

  test('a long value is built whole, past the shared buffer and with characters outside the BMP', () => {
    const long = 'a\t😀'.repeat(100_000);
    expect(compressSpaces(long)).toBe('a 😀'.repeat(100_000));
  });
});
