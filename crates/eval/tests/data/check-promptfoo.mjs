// Runs each row of a scoring table through promptfoo's own assertion code.
import fs from 'node:fs';
const { assertions } = await import('promptfoo');
const rows = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let bad = 0;
for (const [i, row] of rows.entries()) {
  let pass;
  try {
    const r = await assertions.runAssertion({ assertion: row.assert, test: { vars: {} }, providerResponse: { output: row.output }, latencyMs: row.latency_ms, provider: undefined });
    pass = r.pass;
  } catch (e) { pass = 'error: ' + e.message; }
  if (pass !== row.pass) { bad++; console.log(`row ${i}: ${JSON.stringify(row.assert)} on ${JSON.stringify(row.output)}: promptfoo says ${pass}, table says ${row.pass}`); }
}
console.log(`${rows.length - bad} agree, ${bad} disagree`);
