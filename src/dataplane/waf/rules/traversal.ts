import { DATA_AND_MESSAGE_KINDS, familyRules } from './rule';

/**
 * Path traversal and local file inclusion. Encoded forms are read on the raw value (`%2e%2e%2f`, double-encoded
 * `%252e`, overlong UTF-8 `%c0%ae`, IIS `%u002e`); the others on the path form (decoded, `\` as `/`, NUL removed).
 * The file names re-express the kinds of entry in CRS's lfi-os-files.data and restricted-files.data, not the lists.
 */
export const traversalRules = familyRules(
  'traversal',
  [
    // Encoded dot-dot and encoded slashes around a dot, also `0x2e0x2e0x5c` and `..2f..` for broken decoders (CRS 930100).
    {
      crs: ['930100'],
      view: 'raw',
      pattern: /(?:%(?:25){0,3}2e|%(?:25){0,3}c0%(?:25){0,3}(?:ae|2e)|%(?:25){0,3}e0%(?:25){0,3}80%(?:25){0,3}ae|%u002e|%uff0e)(?:%(?:25){0,3}2e|%(?:25){0,3}c0%(?:25){0,3}(?:ae|2e)|%(?:25){0,3}e0%(?:25){0,3}80%(?:25){0,3}ae|%u002e|%uff0e|\.)(?:%(?:25){0,3}(?:2f|5c)|%(?:25){0,3}c0%(?:25){0,3}af|%(?:25){0,3}c1%(?:25){0,3}9c|%u2215|%u2216|%uefc8|%uf025|[/\\;]|$)|\.(?:%(?:25){0,3}2e|%(?:25){0,3}c0%(?:25){0,3}(?:ae|2e)|%(?:25){0,3}e0%(?:25){0,3}80%(?:25){0,3}ae|%u002e|%uff0e)(?:%(?:25){0,3}(?:2f|5c)|%(?:25){0,3}c0%(?:25){0,3}af|%(?:25){0,3}c1%(?:25){0,3}9c|%u2215|%u2216|%uefc8|%uf025|[/\\;]|$)|\.\.(?:%(?:25){0,3}(?:2f|5c)|%(?:25){0,3}c0%(?:25){0,3}af|%(?:25){0,3}c1%(?:25){0,3}9c|%u2215|%u2216|%uefc8|%uf025)|(?:%(?:25){0,3}(?:2f|5c)|%(?:25){0,3}c0%(?:25){0,3}af|%(?:25){0,3}c1%(?:25){0,3}9c|%u2215|%u2216|%uefc8|%uf025)(?:%(?:25){0,3}2e|%(?:25){0,3}c0%(?:25){0,3}(?:ae|2e)|%(?:25){0,3}e0%(?:25){0,3}80%(?:25){0,3}ae|%u002e|%uff0e|\.)(?:%(?:25){0,3}2e|%(?:25){0,3}c0%(?:25){0,3}(?:ae|2e)|%(?:25){0,3}e0%(?:25){0,3}80%(?:25){0,3}ae|%u002e|%uff0e|\.)|0x2e0x2e(?:0x2f|0x5c)|\.\.(?:2f|5c)\.\./,
    },
    // Dot-dot segments once decoded: `../`, `..\`, `/..`, `..;/` (Tomcat), `....//`, and `..%` left by a mangled encoding (CRS 930110).
    { crs: ['930110'], view: 'path', pattern: /(?:^|[/;])\.{2,3}(?:[/;]|$)|\.\.\/|\.\.%/ },
    // Operating system files an attacker reads to learn the host (CRS 930120, lfi-os-files.data).
    {
      crs: ['930120', '930121'],
      view: 'path',
      pattern:
        /(?:^|[/\s='"(:])(?:etc\/(?:passwd|shadow|group|gshadow|hosts|issue|motd|crontab|sudoers|profile|fstab|mtab|hostname|resolv\.conf|security\/|ssh\/|apache2?\/|httpd\/|nginx\/|mysql\/|php\d?\/)|proc\/(?:self|version|cmdline|mounts|net\/|\d{1,7}\/)|sys\/(?:class|kernel)\/|dev\/(?:null|zero|random|tcp|udp|fd)|var\/(?:log|www|lib\/mysql|run\/secrets)\/|windows\/(?:win\.ini|system\.ini|system32|repair|panther|debug)|winnt\/|boot\.ini|inetpub\/|(?:c|d):\/(?:windows|winnt|users|boot|inetpub|program)|system32\/|root\/\.|home\/[^/\s]{1,64}\/\.)|(?:boot|win|system)\.ini\b/,
    },
    // Files that hold secrets or source: dot-files, keys, configs (CRS 930130, 930140, restricted-files.data).
    {
      crs: ['930130', '930140'],
      view: 'path',
      pattern:
        /(?:^|[/\s='"(])(?:\.(?:git|svn|hg|bzr|ssh|aws|azure|docker|kube|gnupg|cursor|claude|vscode|idea)\/|\.(?:env|htaccess|htpasswd|bash_history|bashrc|zsh_history|npmrc|pypirc|netrc|pgpass|my\.cnf|git-credentials|gitconfig|ds_store|dockercfg)\b|id_(?:rsa|dsa|ecdsa|ed25519)\b|authorized_keys\b|known_hosts\b|web\.config\b|wp-config\.php\b|applicationhost\.config\b|credentials\.(?:json|xml|ya?ml)\b)/,
    },
    // Stream wrappers that open files or run code where a URL is expected: `file://`, `php://filter`, `expect://` (CRS 930100, 931, 933200).
    { crs: ['931130', '933200'], view: 'decoded', pattern: /\b(?:file|php|zip|phar|expect|glob|data|compress\.zlib|compress\.bzip2|zlib|ogg|ssh2|rar|jar|gopher|dict|netdoc|ldap|tftp):\/\//, kinds: DATA_AND_MESSAGE_KINDS },
  ],
  DATA_AND_MESSAGE_KINDS,
);
