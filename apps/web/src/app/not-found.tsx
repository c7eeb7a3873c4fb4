import Link from "next/link";

export default function NotFound() {
  return (
    <main className="flex min-h-[60vh] items-center justify-center px-6">
      <div className="max-w-md text-center">
        <p className="text-sm font-semibold text-indigo-600">404</p>
        <h1 className="mt-2 text-2xl font-semibold" data-testid="not-found">
          Not found
        </h1>
        <p className="mt-2 text-sm text-slate-600">
          Nothing here, or not in your team. A shared link may have been revoked; a profile of another team needs you to
          switch to that team first.
        </p>
        <Link
          href="/"
          className="mt-6 inline-block rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white"
        >
          Back to the overview
        </Link>
      </div>
    </main>
  );
}
