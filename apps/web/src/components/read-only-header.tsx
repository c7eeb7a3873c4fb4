import { Logo } from "./logo";

/** The header of a page opened through a public link, without a session: the logo, what it is, and a way to sign in. */
export function ReadOnlyHeader({ label }: { label: string }) {
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex h-14 max-w-[1400px] items-center gap-3 px-6">
        <Logo />
        <span
          className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900"
          data-testid="read-only"
        >
          {label}
        </span>
        <a href="/sign-in" className="ml-auto text-sm text-slate-600 hover:text-slate-900">
          Sign in
        </a>
      </div>
    </header>
  );
}
