// The status page's stylesheet: system fonts, CSS variables for light and
// dark (prefers-color-scheme), a card grid that collapses to one column on
// narrow screens.
export const STYLE = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--fg:#1d232a;--muted:#5f6b76;--line:#dde2e7;--ok:#137333;--bad:#b3261e;--warn:#8a6100;
--okbg:#d5f5dd;--badbg:#fbd5d5;--warnbg:#fdf0c4;--rate:#137333;--p95:#c5221f;--p50:#1a73e8;--bytes:#7b61ff}
@media (prefers-color-scheme:dark){:root{--bg:#111417;--card:#1b1f24;--fg:#e3e6e9;--muted:#9aa5b1;--line:#2d333a;--ok:#6dd58c;--bad:#ff8a80;--warn:#f5c451;
--okbg:#173a23;--badbg:#4a1c1a;--warnbg:#3d3212;--rate:#6dd58c;--p95:#ff8a80;--p50:#8ab4f8;--bytes:#b39dff}}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:var(--bg);color:var(--fg)}
header.top{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:baseline;padding:.8rem 1.2rem;border-bottom:1px solid var(--line);background:var(--card)}
header.top h1{font-size:1.2rem;margin:0}
main{padding:0 1.2rem 2rem;max-width:1600px}
h2{font-size:1rem;margin:1.4rem 0 .6rem}
code{font:12px/1.3 ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
.muted{color:var(--muted)}.ok{color:var(--ok)}.bad{color:var(--bad)}
.badge{display:inline-block;font-weight:600;font-size:12px;padding:0 .45rem;border-radius:9px;white-space:nowrap}
.badge.closed{background:var(--okbg);color:var(--ok)}.badge.open{background:var(--badbg);color:var(--bad)}.badge.half-open{background:var(--warnbg);color:var(--warn)}
.badge.unknown{background:var(--line);color:var(--muted)}
.rules{display:flex;flex-wrap:wrap;gap:.3rem 1rem;align-items:baseline}
.alert{border:1px solid var(--bad);background:var(--badbg);padding:.5rem .8rem;border-radius:6px;margin:.8rem 0}
.alert pre{white-space:pre-wrap;margin:.3rem 0 0;font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:.8rem}
.ep{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--ok);border-radius:6px;padding:.6rem .8rem;min-width:0}
.ep.open{border-left-color:var(--bad)}.ep.half-open{border-left-color:var(--warn)}.ep.unknown{border-left-color:var(--line)}
.ep h3{display:flex;justify-content:space-between;gap:.5rem;align-items:center;margin:0 0 .4rem;font-size:13px}
.figures{display:grid;grid-template-columns:repeat(3,1fr);gap:.4rem;margin:0}
.figures div{min-width:0;display:flex;flex-direction:column}.figures dt{font-size:11px;color:var(--muted)}.figures dd{margin:0 0 .2rem;font-weight:600;font-variant-numeric:tabular-nums;white-space:nowrap}
.figures .chart{margin-top:auto}
.chart{width:100%;height:36px;display:block;overflow:visible}
.chart .axis{stroke:var(--line);stroke-width:1;vector-effect:non-scaling-stroke}
.chart polyline{fill:none;stroke-width:1.6;vector-effect:non-scaling-stroke;stroke-linejoin:round;stroke-linecap:round}
.chart .rate{stroke:var(--rate)}.chart .p95{stroke:var(--p95)}.chart .p50{stroke:var(--p50)}.chart .bytes{fill:var(--bytes)}
.k50{color:var(--p50)}.k95{color:var(--p95)}
.last{margin:.4rem 0 0;font-size:12px;color:var(--muted);overflow-wrap:anywhere}
.panel{background:var(--card);border:1px solid var(--line);border-radius:6px;overflow:hidden}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.scroll{overflow-x:auto}
details.pull{border-bottom:1px solid var(--line)}
details.pull>summary{display:grid;grid-template-columns:5.5rem minmax(0,1fr) auto auto;gap:.2rem .8rem;padding:.4rem .6rem;cursor:pointer;align-items:baseline}
details.pull>summary::-webkit-details-marker{display:none}
details.pull>summary::before{content:"▸";position:absolute;margin-left:-.55rem;color:var(--muted)}
details.pull[open]>summary::before{content:"▾"}
details.pull>summary .sub{grid-column:2/-1;font-size:12px;color:var(--muted);overflow-wrap:anywhere}
details.pull table{margin:0 0 .4rem;font-size:12px}
.filter{display:flex;gap:.5rem;margin:0 0 .6rem;align-items:center;flex-wrap:wrap}
.filter input[type=search]{flex:1;min-width:12rem;max-width:28rem;padding:.35rem .5rem;border:1px solid var(--line);border-radius:4px;background:var(--card);color:var(--fg);font:inherit}
.filter button{padding:.35rem .7rem;font:inherit;border:1px solid var(--line);border-radius:4px;background:var(--card);color:var(--fg)}
.failovers li{margin:.15rem 0;overflow-wrap:anywhere}
.failovers{margin:0;padding-left:1.2rem}
.none{color:var(--muted);padding:.5rem .6rem;margin:0}
@media (max-width:600px){header.top,main{padding-left:.7rem;padding-right:.7rem}.grid{grid-template-columns:1fr}.figures dd{font-size:13px}
details.pull>summary{grid-template-columns:4.6rem minmax(0,1fr) auto}details.pull>summary .dur{display:none}
.stack thead{display:none}.stack tr{display:block;padding:.35rem .6rem;border-bottom:1px solid var(--line)}.stack td{display:block;border:0;padding:0 .4rem 0 0}.stack td:nth-child(-n+2){display:inline}}
`;
