import { createHash } from 'node:crypto';

/** The one stylesheet. Colours meet WCAG AA contrast on their backgrounds; status is always also text. */
export const CSS = `
:root{--fg:#1b1f24;--muted:#4a5360;--bg:#fff;--panel:#f5f7fa;--line:#c9d0d9;--accent:#0b5cad;--ok:#17662e;--okbg:#e3f4e8;--bad:#a31b1b;--badbg:#fbe6e6;--warn:#7a4b00;--warnbg:#fff3d6;--info:#0b4f8a;--infobg:#e4effa;--focus:#ffbf47}
*{box-sizing:border-box}
html{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
body{margin:0}
a{color:var(--accent)}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px;box-shadow:0 0 0 5px var(--fg)}
.skip{position:absolute;left:-999px;top:0;background:var(--bg);padding:.5rem}
.skip:focus{left:.5rem;z-index:10}
header.top{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;padding:.5rem 1rem;background:#102a43;color:#fff}
header.top a{color:#fff}
header.top nav ul{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;margin:0;padding:0}
header.top nav a[aria-current=page]{font-weight:700;text-decoration-thickness:3px}
.brand{font-weight:700;font-size:1.1rem;text-decoration:none}
.who{display:flex;gap:.75rem;align-items:center}
.who form{margin:0}
.count{display:inline-block;min-width:1.5em;padding:0 .4em;border-radius:1em;background:#fff;color:#102a43;font-weight:700;text-align:center}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
h3{font-size:1.05rem;margin:.75rem 0 .25rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--panel)}
caption{text-align:left;font-weight:600;padding:.25rem 0}
.muted{color:var(--muted)}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem;word-break:break-all}
.badge{display:inline-block;padding:0 .45em;border:1px solid currentColor;border-radius:.3em;font-size:.85rem;font-weight:600;white-space:nowrap}
.s-ok{color:var(--ok);background:var(--okbg)}
.s-bad{color:var(--bad);background:var(--badbg)}
.s-warn{color:var(--warn);background:var(--warnbg)}
.s-info{color:var(--info);background:var(--infobg)}
.s-none{color:var(--muted);background:var(--panel)}
.msg{padding:.6rem .8rem;border-left:5px solid;margin:.75rem 0;border-radius:.2rem}
.msg.error{border-color:var(--bad);background:var(--badbg);color:var(--bad)}
.msg.ok{border-color:var(--ok);background:var(--okbg);color:var(--ok)}
.msg.note{border-color:var(--warn);background:var(--warnbg);color:var(--warn)}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(20rem,1fr))}
.tile{border:1px solid var(--line);border-radius:.4rem;padding:.75rem;background:var(--bg)}
.tile h3{margin-top:0}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:.4rem;padding:.75rem;margin:.75rem 0}
.steps{list-style:none;padding:0;margin:0;counter-reset:s}
.steps>li{border-left:4px solid var(--line);padding:.25rem .75rem;margin:.5rem 0}
.steps>li.st-Finished{border-color:var(--ok)}
.steps>li.st-Ongoing{border-color:var(--accent)}
.reviews{list-style:none;padding:0;margin:.25rem 0}
.reviews>li{border-top:1px solid var(--line);padding:.4rem 0}
form.inline{display:inline}
label{font-weight:600}
fieldset{border:1px solid var(--line);border-radius:.3rem;margin:.5rem 0;padding:.5rem .75rem}
legend{font-weight:600;padding:0 .25rem}
input,select,textarea,button{font:inherit}
input[type=text],input[type=password],input[type=search],input[type=number],input[type=datetime-local],select,textarea{border:1px solid #6b7684;border-radius:.25rem;padding:.3rem .4rem;max-width:100%;background:#fff;color:var(--fg)}
textarea{width:100%;min-height:4rem}
.field{margin:.5rem 0;display:flex;flex-direction:column;gap:.15rem}
.row{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end}
.check{display:flex;gap:.4rem;align-items:center;font-weight:400}
button,.button{display:inline-block;padding:.35rem .8rem;border:1px solid var(--accent);border-radius:.3rem;background:var(--accent);color:#fff;cursor:pointer;text-decoration:none}
button.secondary{background:#fff;color:var(--accent)}
button.danger{background:var(--bad);border-color:var(--bad)}
button[disabled]{background:#e1e5ea;color:#454d57;border-color:#8a939e;cursor:not-allowed}
details{margin:.4rem 0}
details>summary{cursor:pointer;color:var(--accent);font-weight:600}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-start}
.actions>details,.actions>form{flex:0 1 auto}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}
dl.kv dt{font-weight:600}
dl.kv dd{margin:0}
.matrix svg{max-width:34rem;width:100%;height:auto;border:1px solid var(--line);background:#fff}
.matrix svg a circle{fill:#0b5cad;fill-opacity:.85;stroke:#102a43}
.matrix svg a text{fill:#fff;font-size:11px;text-anchor:middle}
.matrix svg a:focus-visible circle,.matrix svg a:hover circle{stroke:var(--fg);stroke-width:4}
.matrix svg a:focus-visible{outline:none}
.matrix svg a:focus-visible circle{stroke:#ffbf47;stroke-width:5}
.pager{display:flex;gap:1rem;margin:.5rem 0}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
pre.change{white-space:pre-wrap;max-height:10rem;overflow:auto;font-size:.8rem;margin:0}
`.replace(/\n/g, '');

/** Progressive enhancement only: everything works without it. */
export const JS = `(function(){
document.addEventListener('submit',function(e){var f=e.target,b=e.submitter,m=(b&&b.getAttribute('data-confirm'))||f.getAttribute('data-confirm');if(m&&!window.confirm(m)){e.preventDefault();}});
document.querySelectorAll('form[data-autosubmit] select').forEach(function(s){s.addEventListener('change',function(){s.form.requestSubmit();});});
document.querySelectorAll('time[datetime]').forEach(function(t){try{t.title=new Date(t.getAttribute('datetime')).toLocaleString();}catch(_){}});
})();`;

const hash = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 10);
export const CSS_PATH = `/ui/app.${hash(CSS)}.css`;
export const JS_PATH = `/ui/app.${hash(JS)}.js`;
