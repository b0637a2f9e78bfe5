// Validates Kubernetes objects offline against the API's own schemas, as kubernetes-models ships
// them (generated from the Kubernetes OpenAPI document): types, required fields, enums, formats.
// Those validators accept fields the schema does not know (as the API server does, with only a
// warning), so a misspelt field such as `terminationGracePeriodSecond` would silently leave the
// default in force; the field names of every type are therefore also checked, read from the
// package's TypeScript declarations of the same schema.
//
// Input on stdin: a JSON array of {"source": "file#document", "object": {...}}.
// Output: one line per problem, "source: path: message"; exit 1 if there is any, 0 if none.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const modelsRoot = dirname(require.resolve("kubernetes-models/package.json"));
const nodeModules = dirname(modelsRoot);

// "apps/v1" + "Deployment" -> kubernetes-models/apps/v1/Deployment(.js|.d.ts); core "v1" -> v1/.
function modelFile(apiVersion, kind, extension) {
  return join(modelsRoot, apiVersion, kind + extension);
}

// Field name -> declared type, and imported type name -> declaration file, of one .d.ts file.
const declarations = new Map();
function declarationOf(file) {
  if (declarations.has(file)) return declarations.get(file);
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const imports = new Map();
  for (const [, name, from] of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
    const base = from.startsWith(".") ? join(dirname(file), from) : join(nodeModules, from);
    imports.set(name, base.replace(/\.js$/, "") + ".d.ts");
  }
  const body = text.match(/^export interface \w+(?: extends [\w, ]+)? \{\n([\s\S]*?)^\}/m);
  let fields = null;  // null: not an object type (a string, a number, IntOrString …)
  if (body) {
    fields = new Map();
    for (const [, name, type] of body[1].matchAll(/^ {4}"([^"]+)"\??: ([^\n]*?);?$/gm)) {
      fields.set(name, type);
    }
  }
  const declaration = { imports, fields };
  declarations.set(file, declaration);
  return declaration;
}

function checkFields(value, file, path, problems) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return;
  const { imports, fields } = declarationOf(file);
  if (fields === null) return;
  for (const [key, child] of Object.entries(value)) {
    if (!fields.has(key)) {
      problems.push(`${path}/${key}: unknown field`);
      continue;
    }
    const type = fields.get(key);
    const element = type.match(/^Array<(\w+)>$/);
    if (element && imports.has(element[1]) && Array.isArray(child)) {
      child.forEach((item, i) => checkFields(item, imports.get(element[1]), `${path}/${key}/${i}`, problems));
    } else if (imports.has(type)) {
      checkFields(child, imports.get(type), `${path}/${key}`, problems);
    }
  }
}

const input = JSON.parse(readFileSync(0, "utf8"));
let failed = 0;
for (const { source, object } of input) {
  const problems = [];
  const { apiVersion, kind } = object ?? {};
  const js = typeof apiVersion === "string" && typeof kind === "string"
    ? modelFile(apiVersion, kind, ".js") : "";
  if (!js || !existsSync(js)) {
    problems.push(`: no schema for apiVersion ${apiVersion} kind ${kind}`);
  } else {
    const Model = (await import(js))[kind];
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push(`: ${error.message}`);
    }
    const declaration = modelFile(apiVersion, kind, ".d.ts");
    if (declarationOf(declaration).fields === null) {
      problems.push(`: cannot read the fields of ${kind} from ${declaration}`);
    }
    checkFields(object, declaration, "", problems);
  }
  for (const problem of problems) console.log(`${source}${problem.startsWith(":") ? "" : ": "}${problem}`);
  failed += problems.length;
}
process.exit(failed === 0 ? 0 : 1);
