"use client";

import { useRouter } from "next/navigation";
import { useRef, useState } from "react";

type Item = { name: string; state: "uploading" | "done" | "error"; message?: string; id?: string };

/** Drag and drop (or pick) profile files; each is stored for the team and the first one opens on its /p/<id> page. */
export function Uploader() {
  const router = useRouter();
  const [items, setItems] = useState<Item[]>([]);
  const [service, setService] = useState("");
  const [over, setOver] = useState(false);
  const picker = useRef<HTMLInputElement>(null);

  async function upload(files: File[]) {
    if (files.length === 0) return;
    setItems(files.map((f) => ({ name: f.name, state: "uploading" })));
    let first: string | undefined;
    await Promise.all(
      files.map(async (f, i) => {
        const q = new URLSearchParams({ filename: f.name });
        if (service.trim()) q.set("service", service.trim());
        const res = await fetch(`/api/upload?${q}`, { method: "POST", body: f }).catch(() => null);
        const data = (res ? await res.json().catch(() => ({})) : {}) as { id?: string; error?: string };
        setItems((all) =>
          all.map((it, j) =>
            j !== i
              ? it
              : res?.ok && data.id
                ? { ...it, state: "done", id: data.id }
                : {
                    ...it,
                    state: "error",
                    message: data.error ?? (res ? `the server answered ${res.status}` : "cannot reach the server"),
                  },
          ),
        );
        if (res?.ok && data.id && (first === undefined || i === 0)) first = data.id;
      }),
    );
    if (files.length === 1 && first) router.push(`/p/${first}`);
  }

  return (
    <div className="mx-auto max-w-3xl space-y-5">
      <div>
        <h1 className="text-xl font-semibold">Upload profiles</h1>
        <p className="mt-1 text-sm text-slate-600">
          pprof (<code>.pb</code>, <code>.pb.gz</code>), folded stacks, Chrome <code>.cpuprofile</code>, Perforator
          JSON, or a flamegraph page saved by <code>perforator record -o flame.html</code>. Up to 16 MiB each.
        </p>
      </div>
      <label className="block text-sm font-medium text-slate-700">
        Service <span className="font-normal text-slate-500">(optional; default: from the file name)</span>
        <input
          value={service}
          onChange={(e) => setService(e.target.value)}
          placeholder="e.g. python.server"
          className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm shadow-sm"
        />
      </label>
      <button
        type="button"
        data-testid="dropzone"
        onClick={() => picker.current?.click()}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          void upload([...e.dataTransfer.files]);
        }}
        className={`flex h-56 w-full flex-col items-center justify-center rounded-xl border-2 border-dashed text-center transition ${over ? "border-indigo-500 bg-indigo-50" : "border-slate-300 bg-white hover:border-slate-400"}`}
      >
        <span className="text-3xl" aria-hidden>
          ⇪
        </span>
        <span className="mt-2 text-sm font-medium text-slate-700">Drop profile files here</span>
        <span className="text-xs text-slate-500">or click to choose</span>
      </button>
      <input
        ref={picker}
        type="file"
        multiple
        hidden
        data-testid="file-input"
        onChange={(e) => void upload([...(e.target.files ?? [])])}
      />
      {items.length > 0 ? (
        <ul
          className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white"
          data-testid="upload-results"
        >
          {items.map((it) => (
            <li key={it.name} className="flex items-center justify-between px-4 py-2 text-sm">
              <span className="font-mono">{it.name}</span>
              {it.state === "uploading" ? <span className="text-slate-500">uploading…</span> : null}
              {it.state === "done" ? (
                <a href={`/p/${it.id}`} className="font-medium text-indigo-600 underline">
                  open
                </a>
              ) : null}
              {it.state === "error" ? (
                <span role="alert" className="text-red-700">
                  {it.message}
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
