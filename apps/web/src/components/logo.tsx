/** The product mark and name, as in the app header, the sign-in card and public links. */
export function Logo({ large = false }: { large?: boolean }) {
  return (
    <span className={`flex items-center gap-2 font-semibold tracking-tight text-slate-900 ${large ? "text-lg" : ""}`}>
      <span
        className={`grid place-items-center rounded-md bg-gradient-to-br from-orange-500 to-rose-600 font-bold text-white ${large ? "h-8 w-8 text-sm" : "h-7 w-7 text-xs"}`}
      >
        P
      </span>
      Perforator
    </span>
  );
}
