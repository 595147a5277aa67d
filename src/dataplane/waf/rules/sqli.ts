import { DATA_AND_MESSAGE_KINDS, familyRules } from './rule';

/**
 * SQL injection, read on the SQL form of each value (decoded, lower-cased, comments removed, whitespace as one
 * space: `UnIoN/**\/aLl%0aSeLeCt` is `union all select`). Each rule re-expresses the logic of the CRS rules cited:
 * not their regular expressions, which are generated from word lists and backtrack, but what they look for.
 */
export const sqliRules = familyRules(
  'sqli',
  [
    // UNION-based extraction: `union [all|distinct] select`, also `union(select` (CRS 942190, 942270, 942361).
    { crs: ['942190', '942270', '942361'], view: 'sql', pattern: /\bunion ?(?:all ?|distinct ?)?[(]? ?select\b/ },
    // Time-based blind probes: sleep(), benchmark(), pg_sleep(), waitfor delay, dbms_lock.sleep (CRS 942160, 942170, 942280).
    {
      crs: ['942160', '942170', '942280'],
      view: 'sql',
      pattern: /\b(?:sleep|benchmark|pg_sleep|randomblob) ?\(|\bwaitfor (?:delay|time)\b|\bdbms_(?:lock\.sleep|pipe\.receive_message)\b/,
    },
    // A quote (or closing parenthesis after one) ending the value's string, then a boolean operator and an operand:
    // `' or '1'='1`, `") or ("a"="a`, `' || 1` (CRS 942130, 942180, 942260, 942390, 942520).
    {
      crs: ['942130', '942180', '942260', '942390', '942520'],
      view: 'sql',
      pattern: /['"`] ?\)? ?(?:or|and|xor|not|div|rlike|regexp|like|\|\||&&)(?:\b|(?=[ '"(]))(?: ?[\w'"`(@!-])/,
    },
    // A quote or number closing the string or value, then a comment or a statement separator: `admin'--`, `1'#`,
    // `'; drop`, `1;select` (CRS 942330, 942370, 942440, 942530).
    { crs: ['942330', '942370', '942440', '942530'], view: 'sql', pattern: /['"`] ?\)? ?(?:--|#|;|\/\*|%00)|\b\d{1,20} ?\)? ?(?:--|#)(?: |$|[a-z+])/ },
    // Chained statements after a separator (CRS 942210, 942310, 942350).
    {
      crs: ['942210', '942310', '942350'],
      view: 'sql',
      pattern: /; ?(?:select|insert|update|delete|drop|alter|create|truncate|exec|execute|declare|shutdown|waitfor|union|grant|revoke|rename|load|set|begin|call|copy|replace|handler)\b/,
    },
    // Catalogue tables and system variables that only a query about the database itself names (CRS 942140).
    {
      crs: ['942140'],
      view: 'sql',
      pattern: /\b(?:information_schema|mysql\.(?:user|db)|sysobjects|syscolumns|sys\.(?:tables|objects|columns|databases|sql_logins)|pg_(?:catalog|shadow|user|tables|database)|sqlite_(?:master|schema)|all_tables|user_tables|all_tab_columns|msysaccessobjects|master\.\.sysdatabases)\b|@@(?:version|datadir|hostname|basedir|servername|tmpdir)\b/,
    },
    // Functions attackers call to read data, errors or files (CRS 942150, 942151, 942152, 942190).
    {
      crs: ['942150', '942151', '942152', '942190'],
      view: 'sql',
      pattern: /\b(?:concat_ws|group_concat|char|nchar|chr|ascii|substring|substr|mid|extractvalue|updatexml|load_file|unhex|hex|name_const|json_keys|xp_cmdshell|xp_dirtree|sp_executesql|sp_oacreate|utl_inaddr\.get_host_address|utl_http\.request|ctxsys\.drithsx\.sn|sys_context|db_name|current_user|session_user|system_user|version|database|schema|user|make_set|elt|exp|floor|rand|count|cast|convert|iif|ifnull|nullif|coalesce|instr|ord|lpad|rpad|bin|conv|length|char_length|pg_read_file|lo_import|dblink|openrowset|opendatasource) ?\(/,
    },
    // Data and structure changes (CRS 942350, 942360): `drop table`, `insert into … values`, `delete from`, `into outfile`.
    // The words between `select` and `from` stop at the next `select`, which starts a match of its own: on
    // `select select select …` each start's scan ends where the next begins instead of reading 120 characters. (The
    // three kinds of character between are exclusive: two ways to read one `s` would backtrack exponentially.)
    {
      crs: ['942350', '942360'],
      view: 'sql',
      pattern: /\b(?:drop|create|alter|truncate) (?:table|database|schema|function|procedure|user|view|index|trigger)\b|\binsert into\b|\bdelete from\b|\bupdate [\w.`"[\]]{1,64} set\b|\binto (?:out|dump)file\b|\bexec(?:ute)? (?:master\.|xp_|sp_|immediate\b)|\bselect\b(?:[^;s]|s(?!elect\b)|\Bs(?=elect\b)){0,120}?\bfrom\b/,
    },
    // Conditional and boolean probes without a quote: `1 and 1=1`, `1 or true`, `case when … then`, `order by 5`,
    // `having 1=1` (CRS 942100's tautology fingerprints, 942230, 942251, 942330). Between `case when` and `then`, as
    // between `select` and `from` above, no other `case when`.
    {
      crs: ['942100', '942230', '942251', '942330'],
      view: 'sql',
      pattern: /(?:^|[\s)])(?:or|and|xor|\|\||&&) ?(?:[('"]{0,2} ?[\w.′’‘-]{1,30} ?['")′’‘]{0,2} ?(?:=|<>|!=|<=>|>=|<=|>|<| like | rlike | regexp | in ?\(| between | is )|(?:true|false|null|not)\b)|\bcase when\b(?:[^;c]|c(?!ase when\b)|\Bc(?=ase when\b)){0,120}?\bthen\b|\b(?:order|group) by \d{1,4}\b|\bhaving \d{1,10} ?[=<>]|\bselect (?:session_user|current_user|system_user|user ?\(|version ?\(|database ?\(|@@)/,
    },
    // MySQL executable comments, backtick quoting after a quote, and hex strings as identifiers (CRS 942200, 942440, 942450, 942500, 942510).
    { crs: ['942200', '942440', '942450', '942500', '942510'], view: 'decoded', pattern: /\/\*!\d{0,6}|\/\*\*\/|['"\d)] ?\/\*|['"]`|`['"]|\b0x[0-9a-f]{8,}\b/ },
    // NoSQL (MongoDB) operators in a query string or JSON (CRS 942290).
    { crs: ['942290'], view: 'decoded', pattern: /\[\$(?:ne|eq|lte?|gte?|n?in|regex|where|exists|or|and|nor|not|expr|elemmatch)\]|\$where\b|"\$(?:ne|gt|regex|where)"/ },
  ],
  DATA_AND_MESSAGE_KINDS,
);
