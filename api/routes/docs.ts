/**
 * A browsable API reference that needs no CDN: the page fetches /openapi.json and lists every
 * operation with its parameters and request schema.
 */
export const docsPage = () => `<!doctype html>
<html><head><meta charset="utf-8"><title>OpenXP API reference</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:70rem}h2{border-bottom:1px solid #ccc}
.op{margin:.4rem 0;padding:.4rem;border:1px solid #ddd;border-radius:4px}.m{display:inline-block;width:4.5rem;font-weight:bold;text-transform:uppercase}
.get{color:#0a7}.post{color:#06c}.patch{color:#b60}.delete{color:#c22}.put{color:#850}pre{background:#f6f6f6;padding:.5rem;overflow:auto;display:none}
.op.open pre{display:block}</style></head>
<body><h1>OpenXP API reference</h1><p>Every request needs <code>x-api-key</code>; <code>x-sandbox-name</code> selects the sandbox (default <code>prod</code>). Click an operation to see its request schema. Raw spec: <a href="/openapi.json">/openapi.json</a>.</p>
<div id="ops">Loading…</div>
<script>
fetch('/openapi.json').then(r=>r.json()).then(spec=>{
  const byTag={};
  for(const [path,item] of Object.entries(spec.paths)) for(const [m,o] of Object.entries(item)) (byTag[(o.tags||['Other'])[0]] ||= []).push({path,m,o});
  const esc=s=>String(s).replace(/[&<>]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;'}[c]));
  document.getElementById('ops').innerHTML=Object.entries(byTag).map(([t,ops])=>'<h2>'+esc(t)+'</h2>'+ops.map(({path,m,o})=>{
    const body=o.requestBody?.content?.['application/json']?.schema; const params=(o.parameters||[]).map(p=>p.name+' ('+p.in+')').join(', ');
    return '<div class="op" onclick="this.classList.toggle(\\'open\\')"><span class="m '+m+'">'+m+'</span><code>'+esc(path)+'</code> — '+esc(o.summary||'')+
      (params?'<br><small>parameters: '+esc(params)+'</small>':'')+(body?'<pre>'+esc(JSON.stringify(body,null,2))+'</pre>':'')+'</div>';}).join('')).join('');
});
</script></body></html>`;
