<?php
// CGI demo: a PHP page run by php-cgi (`cgi .php /usr/bin/php-cgi;`).
// A GET shows a guess form; the POST checks the guess and answers 303 to
// the GET page (Post/Redirect/Get), so a refresh never posts again.
$self = htmlspecialchars($_SERVER['SCRIPT_NAME'] ?? '/cgi/hello.php', ENT_QUOTES, 'UTF-8');
if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST') {
	$name = trim((string)($_POST['name'] ?? ''));
	// At most 100 characters (no mbstring needed).
	$name = (string)preg_replace('/^(.{0,100}).*$/us', '$1', $name);
	header('Status: 303 See Other');
	header('Location: ' . ($_SERVER['SCRIPT_NAME'] ?? '/cgi/hello.php') . '?name=' . rawurlencode($name));
	exit;
}
$name = (string)($_GET['name'] ?? '');
header('Content-Type: text/html; charset=utf-8');
?>
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Hello from PHP</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<h1>Hello from PHP</h1>
<?php if ($name !== ''): ?>
<p id="greeting">Hello, <strong><?= htmlspecialchars($name, ENT_QUOTES, 'UTF-8') ?></strong>!</p>
<?php endif; ?>
<p>This page was written by <code>php-cgi</code> <?= htmlspecialchars(PHP_VERSION, ENT_QUOTES, 'UTF-8') ?>,
for <code><?= htmlspecialchars($_SERVER['REQUEST_METHOD'] ?? '', ENT_QUOTES, 'UTF-8') ?></code>
<code><?= htmlspecialchars($_SERVER['REQUEST_URI'] ?? '', ENT_QUOTES, 'UTF-8') ?></code>.</p>
<p>Script: <code id="script"><?= htmlspecialchars($_SERVER['SCRIPT_FILENAME'] ?? '', ENT_QUOTES, 'UTF-8') ?></code></p>
<form method="post" action="<?= $self ?>">
<label>Your name <input name="name" required></label>
<button type="submit">Say hello</button>
</form>
<p><a href="/">Back to the home page</a></p>
</body>
</html>
