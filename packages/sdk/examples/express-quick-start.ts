// The README's quick start, type-checked with the package (tsc -p tsconfig.json)
// so that it cannot rot. Run it with: node --import tsx examples/express-quick-start.ts

import express from "express";
import { createTracer, expressTracing } from "../src/index.js";

const tracer = createTracer({ serviceName: "shop" }); // server: TRACELEDGER_URL, default http://127.0.0.1:7317
const tracing = expressTracing(tracer);
const app = express();
app.use(tracing.requests); // a SERVER span per request: "GET /orders/:id"
app.get("/orders/:id", (req, res) => res.json({ id: req.params.id }));
app.use(tracing.errors); // records what the routes throw
app.listen(3000);
