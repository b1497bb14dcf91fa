// Validates an AsyncAPI 3.0 document (argv[2]) against the official JSON
// Schema from @asyncapi/specs, with ajv. Exit 0: valid; 1: invalid (the
// errors on stderr). NODE_PATH points at the node_modules holding them.
"use strict";
const fs = require("fs");
const Ajv = require("ajv");
const addFormats = require("ajv-formats");
const specs = require("@asyncapi/specs");

// The spec bundles its own copy of the draft-07 meta-schema, which ajv
// already has: drop the copy so the one id resolves to one schema.
const schema = structuredClone(specs.schemas["3.0.0"]);
delete schema.definitions["http://json-schema.org/draft-07/schema"];
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(schema);
const doc = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
if (validate(doc)) {
  console.log("valid AsyncAPI 3.0.0");
} else {
  console.error(JSON.stringify(validate.errors, null, 2));
  process.exit(1);
}
