// A line chart (uPlot) of series over time: x in UNIX seconds, one y array per series.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { getTimeZone, getLanguage, t } from '../lib/i18n.js';

export function Chart({ data, series, height = 160, label }) {
  const el = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const tz = getTimeZone();
    const hm = new Intl.DateTimeFormat(getLanguage(), { timeZone: tz, hour: '2-digit', minute: '2-digit' });
    const full = new Intl.DateTimeFormat(getLanguage(), { timeZone: tz, dateStyle: 'short', timeStyle: 'short' });
    const opts = {
      width: el.current.clientWidth || 600, height,
      tzDate: tz ? (ts) => uPlot.tzDate(new Date(ts * 1e3), tz) : undefined,
      series: [{ label: t('chart.time'), value: (u, v) => (v == null ? '–' : full.format(new Date(v * 1e3))) }, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, scale: s.scale || 'y', value: s.value }))],
      axes: [{ values: (u, splits) => splits.map((v) => hm.format(new Date(v * 1e3))) }, { scale: 'y' }, ...(series.some((s) => s.scale === 'pct') ? [{ scale: 'pct', side: 1, grid: { show: false } }] : [])],
      scales: {
        pct: { range: [0, 1] },
        // One point alone gets half an hour either side, not uPlot's years.
        x: { time: true, range: (u, min, max) => (min === max ? [min - 1800, max + 1800] : [min, max]) },
      },
      legend: { show: true },
    };
    plot.current = new uPlot(opts, data, el.current);
    const ro = new ResizeObserver(() => plot.current.setSize({ width: el.current.clientWidth, height }));
    ro.observe(el.current);
    return () => { ro.disconnect(); plot.current.destroy(); };
  }, [series.map((s) => s.label).join(), getLanguage()]);
  useEffect(() => { if (plot.current) plot.current.setData(data); }, [data]);
  return <div class="chart" ref={el} role="img" aria-label={label} />;
}
