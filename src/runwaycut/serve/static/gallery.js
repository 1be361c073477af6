// The results of a batch (runwaycut serve --results DIR): its manifest as a gallery.
"use strict";

const $ = sel => document.querySelector(sel);
let rows = [];

const fileUrl = rel => "/v1/results/files/" + rel.split("/").map(encodeURIComponent).join("/");
const thumbUrl = rel => "/v1/results/thumbs/" + rel.split("/").map(encodeURIComponent).join("/");
const hasWarning = r => r.status !== "failed" && !!r.warning;

async function start() {
  const response = await fetch("/v1/results");
  if (response.status === 401) {  // the server has --token: ask once, keep it as a cookie
    const token = prompt("This server wants a token:");
    if (token) {
      document.cookie = "runwaycut_token=" + encodeURIComponent(token) + "; path=/; SameSite=Strict";
      location.reload();
    }
  }
  const answer = await response.json();
  if (!response.ok) { $("#count").textContent = "error: " + answer.error; return; }
  $("#folder").textContent = "· " + answer.folder + "/";
  rows = answer.rows.map((r, i) => ({ ...r, index: i }));
  for (const id of ["#show", "#min-fraction", "#max-fraction", "#sort", "#kind"]) $(id).addEventListener("input", show);
  $("#close").addEventListener("click", () => $("#detail").close());
  show();
}

function visible() {
  const what = $("#show").value, lo = +$("#min-fraction").value, hi = +$("#max-fraction").value;
  let list = rows.filter(r => {
    if (what === "ok" && r.status === "failed") return false;
    if (what === "failed" && r.status !== "failed") return false;
    if (what === "warnings" && !hasWarning(r)) return false;
    if (r.figure_fraction !== null && r.figure_fraction !== undefined && (r.figure_fraction < lo || r.figure_fraction > hi)) return false;
    return true;
  });
  const by = {
    input: (a, b) => a.index - b.index,
    name: (a, b) => a.path.localeCompare(b.path),
    "fraction-asc": (a, b) => (a.figure_fraction ?? -1) - (b.figure_fraction ?? -1),
    "fraction-desc": (a, b) => (b.figure_fraction ?? -1) - (a.figure_fraction ?? -1),
    "ms-desc": (a, b) => (b.ms ?? 0) - (a.ms ?? 0),
  }[$("#sort").value];
  return list.sort(by);
}

function show() {
  const list = visible(), kind = $("#kind").value, grid = $("#grid");
  grid.replaceChildren();
  for (const r of list) {
    const tile = document.createElement("div"); tile.className = "tile"; tile.tabIndex = 0;
    tile.dataset.status = r.status;
    const thumb = document.createElement("div"); thumb.className = "thumb";
    const rel = r.files[kind] || r.files.cutout;
    if (rel) { const img = new Image(); img.loading = "lazy"; img.src = thumbUrl(rel); img.alt = r.output; thumb.append(img); }
    else thumb.textContent = r.status === "failed" ? "failed" : "no picture";
    const cap = document.createElement("div"); cap.className = "cap";
    const badge = document.createElement("span");
    badge.className = "badge" + (r.status === "failed" ? " failed" : hasWarning(r) ? " warning" : "");
    badge.textContent = r.status === "failed" ? "failed" : hasWarning(r) ? "warning" : r.status;
    const fraction = r.figure_fraction === null || r.figure_fraction === undefined ? "" : ` ${(100 * r.figure_fraction).toFixed(1)}%`;
    cap.append(badge, ` ${r.output || r.path}${fraction}`);
    tile.append(thumb, cap);
    tile.title = r.error || r.warning || "";
    tile.addEventListener("click", () => detail(r));
    grid.append(tile);
  }
  $("#count").textContent = `${list.length} of ${rows.length} photos`;
}

function detail(r) {
  $("#detail-name").textContent = r.path;
  const numbers = [`status ${r.status}`, r.method && `method ${r.method}`,
    r.threshold !== null && r.threshold !== undefined && `threshold ${r.threshold}`,
    r.figure_fraction !== null && r.figure_fraction !== undefined && `figure ${(100 * r.figure_fraction).toFixed(1)}%`,
    r.width && `${r.width}×${r.height}`, r.ms && `${r.ms} ms`, r.error && `error: ${r.error}`,
    r.warning && `warning: ${r.warning}`].filter(Boolean);
  $("#detail-numbers").textContent = numbers.join(" · ");
  const panels = $("#detail-panels"); panels.replaceChildren();
  for (const [kind, rel] of Object.entries(r.files)) {
    const fig = document.createElement("figure");
    const view = document.createElement("div"); view.className = "view" + (kind === "cutout" || kind === "garment" ? " checker" : "");
    if (/\.(png|webp)$/.test(rel)) { const img = new Image(); img.src = fileUrl(rel); img.alt = kind; view.append(img); }
    else { const a = document.createElement("a"); a.href = fileUrl(rel); a.textContent = rel; view.append(a); }
    const cap = document.createElement("figcaption");
    const a = document.createElement("a"); a.href = fileUrl(rel); a.download = rel.split("/").pop(); a.textContent = kind;
    cap.append(a); fig.append(view, cap); panels.append(fig);
  }
  $("#detail").showModal();
}

start().catch(err => { $("#count").textContent = "cannot reach the server: " + err.message; });
