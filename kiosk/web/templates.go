package web

// templates are the pages. They stay small (a phone on venue Wi-Fi): one
// inline stylesheet, one inline script of a few lines, no images or fonts.
// The script is optional: without it the pages are static and complete.
const templates = `
{{define "css"}}<style>
:root{color-scheme:dark;--bg:#0b101a;--p:#141b29;--p2:#10161f;--t:#f8fafc;--t2:#b4becd;--t3:#8391a7;--a:#ff9900}
*{box-sizing:border-box}body{margin:0;font:16px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--t)}
a{color:var(--t)}header{padding:10px 14px;border-bottom:3px solid var(--a)}h1{font-size:1.2em;margin:0 0 6px}h2{font-size:1.05em;margin:14px 0 6px}
nav a{color:var(--t2);margin-right:14px;font-size:.9em}form{display:flex;gap:6px;margin-top:8px}
input{flex:1;min-width:0;font-size:16px;padding:8px 10px;border-radius:6px;border:1px solid #334155;background:#111827;color:var(--t)}
button{font-size:16px;padding:8px 12px;border-radius:6px;border:0;background:var(--a);color:#1c1200;font-weight:600}
main{padding:6px 12px 20px;max-width:960px;margin:auto}.cap{color:var(--t3);font-size:.85em}
.trk{background:var(--p);border-left:4px solid var(--t3);border-radius:8px;padding:8px 12px;margin:8px 0}
.running{border-color:#22c55e}.paused{border-color:#f59e0b}.ready{border-color:#38bdf8}
.st{font-size:.8em;color:var(--t2);text-transform:uppercase;letter-spacing:.04em}.nm{font-size:1.15em;font-weight:700}
.clk{font-variant-numeric:tabular-nums;font-weight:700}.next{color:var(--t2);font-size:.9em;margin-top:4px}
table{width:100%;border-collapse:collapse}th{color:var(--t3);font-size:.75em;text-align:left;font-weight:600;text-transform:uppercase}
td,th{padding:6px 4px}tbody tr:nth-child(odd){background:var(--p2)}.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.g{color:var(--t2);font-size:.85em}
.rows td:nth-child(1),.rows td:nth-child(n+3),.rows th:nth-child(1),.rows th:nth-child(n+3){text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.rows td:nth-child(4){color:var(--t2);font-size:.85em}.rows td:nth-child(n+4),.rows th:nth-child(n+4){display:none}
@media(min-width:600px){.rows td:nth-child(n+4),.rows th:nth-child(n+4){display:table-cell}}
.big{font-size:2em;font-weight:800}.inv{color:var(--t3);text-decoration:line-through}.best{color:#22d3ee;font-weight:700}
.pager{display:flex;justify-content:space-between;margin-top:10px}
</style>{{end}}

{{define "js"}}<script>
(function(){if(!window.EventSource||!window.fetch||!window.DOMParser)return;
var sk=0,busy=0,again=0,es=new EventSource("/events");
function f(v,k){v=Math.max(0,v);var s,m;if(k=="c"){s=Math.ceil(v/1000);m=Math.floor(s/60);return m+":"+("0"+s%60).slice(-2)}
s=Math.floor(v/1000);m=Math.floor(s/60);return(m?m+":"+("0"+s%60).slice(-2):s)+"."+Math.floor(v/100)%10}
function tick(){var n=Date.now()+sk;document.querySelectorAll("[data-at]").forEach(function(e){e.textContent=f(+e.dataset.ms+e.dataset.dir*(n-e.dataset.at),e.dataset.k)})}
function load(){if(busy){again=1;return}busy=1;fetch(location.href,{cache:"no-cache"}).then(function(r){return r.text()}).then(function(t){
var m=new DOMParser().parseFromString(t,"text/html").querySelector("main");if(m)document.querySelector("main").replaceWith(m);tick()
}).catch(function(){}).then(function(){busy=0;if(again){again=0;load()}})}
function gen(){var m=document.querySelector("main");return m&&m.dataset.gen}
es.addEventListener("hello",function(e){sk=e.data-Date.now();if(e.lastEventId!=gen())load()});
es.addEventListener("ping",function(e){sk=e.data-Date.now()});
es.onmessage=function(e){sk=e.data-Date.now();if(e.lastEventId!=gen())load()};setInterval(tick,100)})();
</script>{{end}}

{{define "head"}}<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{{.Title}}</title>{{template "css"}}</head><body>
<header><h1>{{.Title}}</h1><nav><a href="/">Leaderboard</a><a href="/commentary">Commentary</a><a href="/api/board.json">JSON</a></nav>
<form action="/" method="get" role="search"><input name="q" type="search" placeholder="Find a racer" aria-label="Racer name"><button>Search</button></form></header>
{{end}}

{{define "clocks"}}{{if .HasRace}}<div>Lap <span class="clk" data-ms="{{.LapMS}}" data-k="r"{{if .Running}} data-at="{{.At}}" data-dir="1"{{end}}>{{runclock .LapMS}}</span>
 · <span class="clk" data-ms="{{.LeftMS}}" data-k="c"{{if .Running}} data-at="{{.At}}" data-dir="-1"{{end}}>{{countdown .LeftMS}}</span> left</div>{{end}}{{end}}

{{define "live"}}<section id="live"><h2>On track</h2>{{range .Tracks}}
<div class="trk {{.StateClass}}"><div class="st">Track {{.ID}}{{if .HasRace}} · {{.State}}{{end}}{{if .Offline}} · offline{{end}}</div>
{{if .HasRace}}<div class="nm"><a href="{{.RacerURL}}">{{.Racer}}</a></div>
<div>Laps {{.Laps}} · Best {{.Best}} · Resets {{.Resets}}</div>{{template "clocks" .}}{{else}}<div class="g">No racer on track</div>{{end}}
{{if .Next}}<div class="next">Next: {{range $i, $n := .NextShown}}{{if $i}} · {{end}}{{$n}}{{end}}{{if .NextMore}} +{{.NextMore}}{{end}}</div>{{end}}</div>
{{else}}<p class="g">No track heard from yet.</p>{{end}}</section>{{end}}

{{define "rows"}}<table class="rows"><thead><tr><th>#<th>Racer<th>{{.Caption}}<th>Gap<th>Laps<th>Track</thead><tbody>
{{range .Rows}}<tr><td>{{if .Tie}}={{end}}{{.Rank}}<td><a href="{{.URL}}">{{.Name}}</a><td>{{.Result}}<td>{{.Gap}}<td>{{.Laps}}<td>{{.Track}}
{{end}}</tbody></table>{{end}}

{{define "board"}}{{template "head" .}}<main data-gen="{{.Gen}}">
{{if .Searched}}<h2>Racers matching “{{.Query}}”</h2>{{if .Rows}}{{template "rows" .}}{{if .Truncated}}<p class="g">More match: type more of the name.</p>{{end}}{{else}}<p class="g">No racer matches “{{.Query}}”.</p>{{end}}
{{template "live" .}}{{else}}{{template "live" .}}
<section id="board"><h2>Leaderboard</h2><p class="cap">{{.Total}} racer{{if ne .Total 1}}s{{end}} · ranked by {{.Caption}}{{if gt .Pages 1}} · page {{.Page}} of {{.Pages}}{{end}}</p>
{{if .Rows}}{{template "rows" .}}{{else}}<p class="g">Waiting for the first results.</p>{{end}}
<div class="pager">{{if .PrevURL}}<a href="{{.PrevURL}}">← Previous</a>{{else}}<span></span>{{end}}{{if .NextURL}}<a href="{{.NextURL}}">Next →</a>{{end}}</div></section>{{end}}
</main>{{template "js"}}</body></html>{{end}}

{{define "laps"}}<table><thead><tr><th class="n">Lap</th><th class="n">Time</th><th class="n">Resets</th><th>Note</th></tr></thead><tbody>
{{range .}}<tr><td class="n">{{.No}}</td><td class="n{{if .Best}} best{{end}}{{if not .Valid}} inv{{end}}">{{.Time}}{{if .Penalty}} <span class="g">({{.Penalty}})</span>{{end}}</td><td class="n">{{.Resets}}</td><td class="g">{{.Note}}</td></tr>
{{end}}</tbody></table>{{end}}

{{define "racer"}}{{template "head" .}}<main data-gen="{{.Gen}}" id="racer">
{{if .Found}}<h2>{{.Name}}</h2>
{{if .Row.URL}}<p><span class="big" id="rank">#{{.Row.Rank}}</span> <span class="g">of {{.Of}}</span></p>
<p>{{.Caption}}: <span class="big" id="best">{{.Row.Result}}</span> {{if .Row.Gap}}<span class="g">{{.Row.Gap}} to the leader</span>{{end}}</p>
<p>Track {{.Row.Track}} · {{.Row.Laps}} valid laps · best lap {{.Row.Best}}</p>
<h2>Laps of the best run</h2>{{if .BestRunSeen}}{{template "laps" .BestRun}}{{else}}<p class="g">This screen did not see that run; its best lap was {{.Row.Best}} over {{.Row.Laps}} laps.</p>{{end}}
{{else}}<p class="g">No result on the board yet.</p>{{end}}
{{with .OnTrack}}<h2>On track now</h2><div class="trk {{.StateClass}}"><div class="st">Track {{.ID}} · {{.State}}</div><div>Laps {{.Laps}} · Best {{.Best}} · Resets {{.Resets}}</div>{{template "clocks" .}}</div>{{end}}
{{if .Runs}}<h2>Runs seen</h2>{{range .Runs}}<p>Run {{.Run}} · track {{.Track}} · {{.State}} · {{.Laps}} laps · best {{.Best}}</p>{{end}}{{end}}
<p class="cap">Link to this page: <a href="/racer/{{.ID}}">/racer/{{.ID}}</a></p>
{{else}}<h2>No racer “{{.ID}}”</h2><p class="g">Not on the board yet. <a href="/">Back to the leaderboard</a></p>{{end}}
</main>{{template "js"}}</body></html>{{end}}

{{define "overlay"}}<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{.Title}} overlay</title><style>
html,body{margin:0;background:transparent;color:#f8fafc;font:28px/1.3 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow:hidden}
main{position:relative;width:1920px;height:1080px}
.strips{position:absolute;left:40px;right:40px;bottom:40px;display:flex;gap:24px}
.s{flex:1;background:rgba(11,16,26,.86);border-left:8px solid #6f7d93;border-radius:14px;padding:14px 22px}
.running{border-color:#22c55e}.paused{border-color:#f59e0b}.ready{border-color:#38bdf8}
.st{font-size:20px;color:#b4becd;text-transform:uppercase;letter-spacing:.05em}.nm{font-size:40px;font-weight:800}
.clk{font-variant-numeric:tabular-nums;font-weight:800;font-size:44px;float:right}.i{color:#b4becd;font-size:24px}
.top{position:absolute;right:40px;top:40px;width:560px;background:rgba(11,16,26,.86);border-top:6px solid #ff9900;border-radius:14px;padding:12px 20px}
.top h2{margin:0 0 6px;font-size:22px;color:#b4becd;text-transform:uppercase}.r{display:flex;gap:14px;padding:4px 0}
.r b{width:40px;text-align:right}.r span{flex:1;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}.r i{font-style:normal;font-variant-numeric:tabular-nums;font-weight:700}
.url{font-size:20px;color:#b4becd;margin-top:8px}
</style></head><body><main data-gen="{{.Gen}}">
<div class="top"><h2>Top 5 · {{.Caption}}</h2>{{range .Top}}<div class="r"><b>{{.Rank}}</b><span>{{.Name}}</span><i>{{.Result}}</i></div>{{else}}<div class="r"><span>Waiting for results</span></div>{{end}}
{{if .URL}}<div class="url">Live results: {{.URL}}</div>{{end}}</div>
<div class="strips">{{range .Tracks}}{{if .HasRace}}<div class="s {{.StateClass}}"><span class="clk" data-ms="{{.LapMS}}" data-k="r"{{if .Running}} data-at="{{.At}}" data-dir="1"{{end}}>{{runclock .LapMS}}</span>
<div class="st">Track {{.ID}} · {{.State}}</div><div class="nm">{{.Racer}}</div>
<div class="i">Laps {{.Laps}} · Best {{.Best}} · Resets {{.Resets}} · <span data-ms="{{.LeftMS}}" data-k="c"{{if .Running}} data-at="{{.At}}" data-dir="-1"{{end}}>{{countdown .LeftMS}}</span> left{{if .Next}} · Next: {{index .Next 0}}{{end}}</div></div>{{end}}{{end}}</div>
</main>{{template "js"}}</body></html>{{end}}

{{define "commentary"}}{{template "head" .}}<main data-gen="{{.Gen}}" id="commentary">
{{range .Live}}<section class="trk {{.StateClass}}"><div class="st">Track {{.ID}}{{if .HasRace}} · {{.State}}{{end}}{{if .Offline}} · offline{{end}}</div>
{{if .HasRace}}<div class="nm"><a href="{{.RacerURL}}">{{.Racer}}</a></div>{{template "clocks" .}}
<p>Laps {{.Laps}} · best {{.Best}} · resets on this lap {{.Resets}}</p>
{{if .GapLeader}}<p>Gap to leader <b>{{.GapLeader}}</b>{{if .GapPodium}} · to the podium (3rd) <b>{{.GapPodium}}</b>{{end}} <span class="g">({{.GapNote}})</span></p>{{else}}<p class="g">{{.GapNote}}</p>{{end}}
{{with .Standing}}<p>On the board: #{{.Rank}} with {{.Result}} (track {{.Track}})</p>{{else}}<p class="g">Not on the board yet.</p>{{end}}
{{if .LapList}}{{template "laps" .LapList}}{{end}}
{{if .Previous}}<h2>Previous runs</h2>{{range .Previous}}<p>Run {{.Run}} · track {{.Track}} · {{.State}} · {{.Laps}} laps · best {{.Best}}</p>{{end}}{{end}}
{{else}}<p class="g">No racer on track</p>{{end}}
{{if .Next}}<p class="next">Next: {{range $i, $n := .Next}}{{if $i}} · {{end}}{{$n}}{{end}}</p>{{end}}</section>
{{else}}<p class="g">No track heard from yet.</p>{{end}}
<h2>Top 5 · {{.Caption}}</h2>{{template "rows" (dict "Caption" .Caption "Rows" .Top)}}
</main>{{template "js"}}</body></html>{{end}}
`
