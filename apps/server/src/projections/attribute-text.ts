// One text form per attribute value, used where attributes are matched as text
// (ListTraces filters): the value a user would type.

import type { AnyValue } from "@traceledger/proto";
import { bytesToHex } from "../domain/trace/w3c-ids.js";

export function attributeText(value: AnyValue | undefined): string {
  const v = value?.value;
  switch (v?.case) {
    case undefined:
      return "";
    case "stringValue":
      return v.value;
    case "boolValue":
      return v.value ? "true" : "false";
    case "intValue":
      return v.value.toString();
    case "doubleValue":
      return String(v.value);
    case "bytesValue":
      return bytesToHex(v.value);
    case "arrayValue":
      return `[${v.value.values.map(attributeText).join(",")}]`;
    case "kvlistValue":
      return `{${v.value.values.map((kv) => `${kv.key}=${attributeText(kv.value)}`).join(",")}}`;
  }
}
