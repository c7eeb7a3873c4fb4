/**
 * A tiny inline SVG line (no JavaScript, server-rendered): the dashboard draws one per service and metric, and a
 * page of 20 services stays light. `values` are plotted left to right, scaled to the largest.
 */
export function Sparkline({
  values,
  width = 160,
  height = 32,
  color = "#4f46e5",
  label,
}: {
  values: number[];
  width?: number;
  height?: number;
  color?: string;
  label: string;
}) {
  const max = Math.max(0, ...values);
  const n = values.length;
  const x = (i: number) => (n <= 1 ? width / 2 : (i / (n - 1)) * (width - 2) + 1);
  const y = (v: number) => (max === 0 ? height - 1 : height - 1 - (v / max) * (height - 4));
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  return (
    <svg
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
      data-testid="sparkline"
    >
      <title>{label}</title>
      <polyline
        points={`1,${height - 1} ${points} ${width - 1},${height - 1}`}
        fill={color}
        fillOpacity={0.12}
        stroke="none"
      />
      <polyline points={points} fill="none" stroke={color} strokeWidth={1.5} strokeLinejoin="round" />
    </svg>
  );
}
