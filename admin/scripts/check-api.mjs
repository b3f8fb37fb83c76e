// Fails when src/api/schema.d.ts is not what openapi-typescript makes of
// openapi.json (someone refreshed the document without `npm run gen:api`).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "linli-admin-api-"));
const fresh = join(dir, "schema.d.ts");
try {
  execFileSync(process.execPath, ["node_modules/openapi-typescript/bin/cli.js", "openapi.json", "-o", fresh], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const want = readFileSync(fresh, "utf8");
  const have = readFileSync("src/api/schema.d.ts", "utf8");
  if (want !== have) {
    console.error(
      "check:api: src/api/schema.d.ts is out of date with openapi.json.\n" +
        "Run `npm run gen:api` in admin/ and commit the result (then fix any type errors the build shows).",
    );
    process.exit(1);
  }
  console.log("check:api: src/api/schema.d.ts matches openapi.json");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
