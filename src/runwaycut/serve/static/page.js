// runwaycut's page: drop photos, see them cut by this server, move the palette threshold live.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const state = { health: null, cards: [] };

function authHeaders() {
  const token = $("#token").value.trim();
  return token ? { Authorization: "Bearer " + token } : {};
}

function setStatus(text) { $("#status").textContent = text; }

async function start() {
  const health = await (await fetch("/health")).json();
  state.health = health;
  for (const m of health.methods) $("#method").append(new Option(m, m, m === "auto", m === "auto"));
  for (const t of health.targets) $("#target").append(new Option(t, t));
  $("#results-link").hidden = !health.results;
  $("#token-box").hidden = !health.token;
  const saved = sessionStorage.getItem("runwaycut-token");
  if (saved) $("#token").value = saved;
  $("#token").addEventListener("change", () => {
    sessionStorage.setItem("runwaycut-token", $("#token").value);
    // The gallery's images cannot send a header: they carry the token as a cookie.
    document.cookie = "runwaycut_token=" + encodeURIComponent($("#token").value) + "; path=/; SameSite=Strict";
  });
  const rerun = () => { showPaletteOptions(); state.cards.forEach(c => cut(c)); };
  for (const id of ["#method", "#target", "#band", "#sampler"]) $(id).addEventListener("change", rerun);
  showPaletteOptions();
  setStatus(`ready: version ${health.version}, ${health.workers} worker(s)`);
  const drop = $("#drop");
  drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", e => {
    e.preventDefault(); drop.classList.remove("over");
    addFiles(e.dataTransfer.files);
  });
  $("#files").addEventListener("change", e => { addFiles(e.target.files); e.target.value = ""; });
}

function showPaletteOptions() { $("#palette-options").hidden = $("#method").value !== "palette"; }

function addFiles(files) {
  for (const file of files) {
    const node = $("#card-template").content.firstElementChild.cloneNode(true);
    const card = { file, node, threshold: null, bundle: null };
    $(".name", node).textContent = file.name;
    const img = new Image(); img.src = URL.createObjectURL(file); img.alt = file.name;
    $(".photo .view", node).append(img);
    $(".threshold", node).addEventListener("input", () => live(card));
    $(".apply", node).addEventListener("click", () => cut(card, $(".threshold", node).value));
    $("#photos").prepend(node);
    state.cards.push(card);
    cut(card);
  }
}

function query(extra = {}) {
  const q = new URLSearchParams({ method: $("#method").value, target: $("#target").value, output: "bundle" });
  if ($("#method").value === "palette") { q.set("band", $("#band").value); q.set("sampler", $("#sampler").value); }
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q;
}

async function cut(card, threshold) {
  const { node, file } = card;
  node.classList.remove("failed");
  node.dataset.state = "working";
  $(".numbers", node).textContent = "cutting…";
  const form = new FormData(); form.append("file", file, file.name);
  const extra = threshold !== undefined && $("#method").value === "palette" ? { threshold } : {};
  let answer;
  try {
    let response;
    // A full queue (503) is not a failure: wait as the server says, and ask again.
    for (let attempt = 0; ; attempt++) {
      response = await fetch("/v1/remove?" + query(extra), { method: "POST", body: form, headers: authHeaders() });
      if (response.status !== 503 || attempt >= 30) break;
      $(".numbers", node).textContent = "waiting for a free worker…";
      const wait = +(response.headers.get("Retry-After") || 1);
      await new Promise(ok => setTimeout(ok, 1000 * Math.min(10, Math.max(1, wait))));
    }
    answer = await response.json();
    if (!response.ok) throw new Error(answer.error || response.statusText);
  } catch (err) {
    node.classList.add("failed");
    node.dataset.state = "failed";
    $(".numbers", node).textContent = "";
    $(".warnings", node).textContent = "error: " + err.message;
    return;
  }
  card.bundle = answer;
  await render(card);
  node.dataset.state = "done";
}

function pngUrl(b64) { return "data:image/png;base64," + b64; }

function imageView(sel, node, src, alt) {
  const view = $(sel + " .view", node); view.replaceChildren();
  const img = new Image(); img.src = src; img.alt = alt; view.append(img);
  return img;
}

async function render(card) {
  const { node, bundle: b } = card;
  const stem = Object.keys(b.files).find(n => n.endsWith(".mask.png")).slice(0, -9);
  const t = b.threshold === null ? "" : `, threshold ${+b.threshold.toFixed(3)}`;
  $(".numbers", node).textContent = `${b.method}${t}, figure ${(100 * b.figure_fraction).toFixed(1)}% of ${b.width}×${b.height}, ` +
    `${Math.round(b.timings.read_ms + b.timings.method_ms + b.timings.encode_ms)} ms`;
  node.dataset.figureFraction = b.figure_fraction;
  $(".warnings", node).textContent = b.warnings.length ? "warning: " + b.warnings.join("; ") : "";
  imageView(".cutout", node, pngUrl(b.files[stem + ".png"]), "cutout");
  imageView(".overlay", node, pngUrl(b.files[stem + ".overlay.png"]), "overlay");
  imageView(".mask", node, pngUrl(b.files[stem + ".mask.png"]), "mask");
  const labels = b.files[stem + ".labels.png"];
  $(".labels", node).hidden = !labels;
  $(".legend", node).replaceChildren();
  if (labels) {
    imageView(".labels", node, pngUrl(labels), "garment map");
    for (const c of b.legend) {
      const share = b.class_shares && b.class_shares[c.name] !== undefined ? ` ${(100 * b.class_shares[c.name]).toFixed(1)}%` : "";
      $(".legend", node).append(item(`rgb(${c.rgb.join(",")})`, c.name.replace("_", "+") + share));
    }
  }
  $(".swatches", node).replaceChildren();
  if (b.colors && b.colors.length) {
    const title = document.createElement("li"); title.textContent = "garment colours:";
    $(".swatches", node).append(title);
  }
  for (const c of b.colors || []) $(".swatches", node).append(item(c.hex, `${c.name} ${(100 * c.share).toFixed(0)}%`));
  showItems(node, b, b.files[stem + ".items.png"]);
  downloads(card, stem);
  const slider = $(".slider", node);
  slider.hidden = !b.distance;
  if (b.distance) await prepareLive(card);
}

// The items target: the item map with a legend of the items present, and a table of
// each item's share of the figure and its colours (as <stem>.items.json lists them).
function showItems(node, b, itemsPng) {
  const items = b.items || [];
  $(".items", node).hidden = !itemsPng;
  $(".item-list", node).hidden = !items.length;
  $(".item-legend", node).replaceChildren();
  const rows = $(".item-list tbody", node); rows.replaceChildren();
  if (!itemsPng) return;
  imageView(".items", node, pngUrl(itemsPng), "item map");
  const rgb = Object.fromEntries((b.item_legend || []).map(c => [c.name, `rgb(${c.rgb.join(",")})`]));
  for (const it of items) {
    const share = `${(100 * it.share_of_figure).toFixed(1)}%`;
    $(".item-legend", node).append(item(rgb[it.name], `${it.name} ${share}`));
    const tr = document.createElement("tr");
    const name = document.createElement("td"); name.append(item(rgb[it.name], it.name, "span"));
    const cell = document.createElement("td"); cell.className = "share"; cell.textContent = share;
    const sure = document.createElement("td"); sure.className = "share confidence";
    sure.textContent = it.confidence === undefined ? "" : it.confidence.toFixed(2);
    const colours = document.createElement("td"); colours.className = "colours";
    for (const c of it.colors) colours.append(item(c.hex, `${c.name} ${(100 * c.share).toFixed(0)}%`, "span"));
    tr.append(name, cell, sure, colours);
    rows.append(tr);
  }
}

function item(colour, text, tag = "li") {
  const li = document.createElement(tag);
  const chip = document.createElement("span"); chip.className = "chip"; chip.style.background = colour;
  li.append(chip, document.createTextNode(text));
  return li;
}

function downloads(card, stem) {
  const p = $(".downloads", card.node); p.replaceChildren("download: ");
  for (const [name, b64] of Object.entries(card.bundle.files)) {
    const a = document.createElement("a"); a.href = pngUrl(b64); a.download = name; a.textContent = name;
    p.append(a, " ");  // (a space between links lets a narrow screen wrap them)
  }
  const zip = document.createElement("button"); zip.type = "button"; zip.textContent = "all files (zip)";
  zip.addEventListener("click", async () => {
    const form = new FormData(); form.append("file", card.file, card.file.name);
    const extra = { output: "zip" };
    if (card.bundle.distance) extra.threshold = $(".threshold", card.node).value;
    const r = await fetch("/v1/remove?" + query(extra), { method: "POST", body: form, headers: authHeaders() });
    if (!r.ok) { alert((await r.json()).error); return; }
    const a = document.createElement("a"); a.href = URL.createObjectURL(await r.blob()); a.download = stem + ".zip"; a.click();
  });
  p.append(zip);
}

// ---------------------------------------------------------------- the live threshold
// The server sends the palette's distance map once; the page applies the note's rule:
// background where distance <= t, figure = the largest 8-connected region of the rest,
// its holes filled (what runwaycut.note.figure does), and redraws the mask, the
// cutout and the overlay as the slider moves.

function loadImage(src) {
  return new Promise((ok, fail) => { const i = new Image(); i.onload = () => ok(i); i.onerror = fail; i.src = src; });
}

function pixels(img, w, h) {
  const c = document.createElement("canvas"); c.width = w; c.height = h;
  const g = c.getContext("2d", { willReadFrequently: true }); g.drawImage(img, 0, 0, w, h);
  return g.getImageData(0, 0, w, h).data;
}

async function prepareLive(card) {
  const d = card.bundle.distance;
  const img = await loadImage(pngUrl(d.png));
  const w = img.naturalWidth, h = img.naturalHeight, rgba = pixels(img, w, h);
  const distance = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) distance[i] = rgba[4 * i];
  let photo = null;
  try { photo = pixels(await createImageBitmap(card.file, { imageOrientation: "from-image" }), w, h); } catch (e) { /* e.g. TIFF: mask only */ }
  card.live = { w, h, distance, photo, scale: d.scale };
  const slider = $(".threshold", card.node);
  slider.max = 255; slider.value = Math.min(255, Math.floor(d.threshold * d.scale + 1e-9));
  for (const sel of [".mask", ".cutout", ".overlay"]) {
    const c = document.createElement("canvas"); c.width = w; c.height = h;
    $(sel + " .view", card.node).replaceChildren(c);
  }
  live(card);
}

function live(card) {
  const L = card.live; if (!L) return;
  const level = +$(".threshold", card.node).value;
  $(".threshold-value", card.node).textContent = L.scale === 1 ? level : (level / L.scale).toFixed(2);
  const figure = selectFigure(L.distance, L.w, L.h, level);
  let n = 0; for (let i = 0; i < figure.length; i++) n += figure[i];
  card.node.dataset.liveThreshold = level / L.scale;
  card.node.dataset.liveFigurePixels = n;
  draw(card, figure);
}

function selectFigure(distance, w, h, level) {
  const n = w * h, fg = new Uint8Array(n);
  for (let i = 0; i < n; i++) fg[i] = distance[i] > level ? 1 : 0;
  // largest 8-connected region
  const label = new Int32Array(n), stack = new Int32Array(n);
  let best = 0, bestSize = 0, next = 0;
  for (let s = 0; s < n; s++) {
    if (!fg[s] || label[s]) continue;
    next++; let top = 0, size = 0; stack[top++] = s; label[s] = next;
    while (top) {
      const p = stack[--top]; size++;
      const x = p % w, y = (p - x) / w;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx, yy = y + dy;
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        const q = yy * w + xx;
        if (fg[q] && !label[q]) { label[q] = next; stack[top++] = q; }
      }
    }
    if (size > bestSize) { bestSize = size; best = next; }
  }
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) keep[i] = best && label[i] === best ? 1 : 0;
  // fill holes: flood the outside (4-connected) from the border; what it misses is figure
  const outside = new Uint8Array(n); let top = 0;
  const push = q => { if (!keep[q] && !outside[q]) { outside[q] = 1; stack[top++] = q; } };
  for (let x = 0; x < w; x++) { push(x); push((h - 1) * w + x); }
  for (let y = 0; y < h; y++) { push(y * w); push(y * w + w - 1); }
  while (top) {
    const p = stack[--top], x = p % w;
    if (x > 0) push(p - 1); if (x < w - 1) push(p + 1);
    if (p >= w) push(p - w); if (p < n - w) push(p + w);
  }
  for (let i = 0; i < n; i++) keep[i] = outside[i] ? 0 : 1;
  return keep;
}

function draw(card, figure) {
  const L = card.live, n = L.w * L.h;
  const views = [".mask", ".cutout", ".overlay"].map(s => $(s + " canvas", card.node));
  const images = views.map(c => c.getContext("2d").createImageData(L.w, L.h));
  const [m, c, o] = images.map(i => i.data);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    const f = figure[i], v = f ? 255 : 0;
    m[j] = m[j + 1] = m[j + 2] = v; m[j + 3] = 255;
    if (L.photo) {
      c[j] = f ? L.photo[j] : 0; c[j + 1] = f ? L.photo[j + 1] : 0; c[j + 2] = f ? L.photo[j + 2] : 0; c[j + 3] = v;
      o[j] = f ? L.photo[j] : 20; o[j + 1] = f ? L.photo[j + 1] : 255; o[j + 2] = f ? L.photo[j + 2] : 57; o[j + 3] = 255;
    }
  }
  views.forEach((cv, k) => { if (k === 0 || L.photo) cv.getContext("2d").putImageData(images[k], 0, 0); });
}

start().catch(err => setStatus("cannot reach the server: " + err.message));
