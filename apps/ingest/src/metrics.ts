/** Prometheus metrics of one ingest process (`GET /metrics`), on a registry of its own. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface StoreSize {
  profiles: number;
  bytes: number;
}

export interface IngestMetrics {
  registry: Registry;
  uploads: Counter<"format" | "status">;
  uploadBytes: Counter<"format">;
  rejects: Counter<"reason">;
  latency: Histogram<"route" | "method" | "status">;
  /** Time per upload stage (inflate, scan or parse, store), to see where ingest time goes. */
  stages: Histogram<"stage">;
}

export function createMetrics(storeSize: () => Promise<StoreSize>): IngestMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "perforator_ingest_" });
  const uploads = new Counter({
    name: "perforator_ingest_uploads_total",
    help: "Profile uploads answered, by detected format and HTTP status",
    labelNames: ["format", "status"] as const,
    registers: [registry],
  });
  const uploadBytes = new Counter({
    name: "perforator_ingest_upload_bytes_total",
    help: "Bytes of accepted profile uploads as received (compressed or not)",
    labelNames: ["format"] as const,
    registers: [registry],
  });
  const rejects = new Counter({
    name: "perforator_ingest_rejects_total",
    help: "Requests refused with a 4xx, by reason",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "perforator_ingest_request_duration_seconds",
    help: "Time from request start to response, by route, method and status",
    labelNames: ["route", "method", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const stages = new Histogram({
    name: "perforator_ingest_stage_seconds",
    help: "Time spent per upload stage: inflate (gunzip), scan (validate a pprof upload without decoding it), parse (decode another format), store (blob + row)",
    labelNames: ["stage"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  // One store query per scrape for both gauges (prom-client collects metrics concurrently).
  let last: { at: number; size: Promise<StoreSize> } | undefined;
  const size = (): Promise<StoreSize> => {
    if (!last || Date.now() - last.at > 1000) last = { at: Date.now(), size: storeSize() };
    return last.size;
  };
  new Gauge({
    name: "perforator_store_profiles",
    help: "Profiles in the store (all teams)",
    registers: [registry],
    async collect() {
      this.set((await size()).profiles);
    },
  });
  new Gauge({
    name: "perforator_store_bytes",
    help: "Stored profile bodies in bytes, as stored (compressed)",
    registers: [registry],
    async collect() {
      this.set((await size()).bytes);
    },
  });
  return { registry, uploads, uploadBytes, rejects, latency, stages };
}
