// astromorph_nb companion page: the page script, appended to map_scatter.js in one inline
// module by io/export/html_page.py (so it can call createMapView). It reads the data from
// the JSON element #amn-data; every string from the data is written with textContent.
const DATA = JSON.parse(document.getElementById("amn-data").textContent);
const $ = (id) => document.getElementById(id);
const MAX_ROWS = 200;
function bytes64(s) {
  const bin = atob(s), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
const f32 = (s) => new Float32Array(bytes64(s).buffer);
const i32 = (s) => new Int32Array(bytes64(s).buffer);
function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text != null) e.textContent = String(text);
  return e;
}
function fmt(v) {
  if (v == null) return "";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(3);
    return String(Number(v.toPrecision(4)));
  }
  return String(v);
}
const n = DATA.n, k = DATA.k, T = DATA.thumbnailSize, labels = DATA.labels;
const nb = i32(DATA.neighbors), nbd = f32(DATA.neighborDistances);
const colors = DATA.colors.map((c) => ({ ...c, values: f32(c.values) }));
let thumbs = null, current = -1, matches = null, lassoed = [], sortBy = null, sortDir = 1;
const nameOf = (i) => (labels[i] == null || labels[i] === "" ? `#${i}` : String(labels[i]));

$("amn-sub").textContent = `${n.toLocaleString("en")} objects. Hover for a cutout, click for its ` +
  "most similar objects; drag to pan, wheel to zoom, lasso to select.";
const view = createMapView($("amn-map"), { x: f32(DATA.x), y: f32(DATA.y), labels, height: 540 }, {
  onClick: (i) => focus(i),
  onSelect: (ids) => { lassoed = ids; renderTable(); },
});

const select = $("amn-color");
select.appendChild(el("option", null, "(none)")).value = "";
colors.forEach((c, j) => { select.appendChild(el("option", null, c.name)).value = String(j); });
function applyColor() {
  const c = colors[Number(select.value)];
  if (select.value === "" || !c) view.update({ colorMode: "none", values: new Float32Array(0) });
  else {
    view.update({ values: c.values, colorMode: c.mode, categories: c.categories,
      valueLabel: c.name });
  }
}
if (colors.length) select.value = "0";
select.addEventListener("change", applyColor);
applyColor();

function drawCutout(canvas, i) {
  if (!thumbs || i < 0) return;
  canvas.width = T; canvas.height = T;
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(T, T);
  for (let row = 0; row < T; row++) {
    const src = i * T * T + (T - 1 - row) * T; // numpy row 0 is the bottom row of the image
    for (let col = 0; col < T; col++) {
      const v = thumbs[src + col], o = (row * T + col) * 4;
      img.data[o] = v; img.data[o + 1] = v; img.data[o + 2] = v; img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

function focus(i) {
  if (!(i >= 0 && i < n)) return;
  current = i;
  const near = Array.from(nb.subarray(i * k, (i + 1) * k));
  view.update({ focus: i, neighbors: near });
  const box = $("amn-details");
  box.replaceChildren();
  box.dataset.index = String(i);
  box.appendChild(el("h3", null, nameOf(i)));
  const big = el("canvas", "amn-cutout amn-big");
  drawCutout(big, i);
  box.appendChild(big);
  const props = el("table", "amn-props");
  for (const name of DATA.columns) {
    const tr = el("tr");
    tr.append(el("th", null, name), el("td", null, fmt(DATA.rows[name][i])));
    props.appendChild(tr);
  }
  box.appendChild(props);
  if (k) box.appendChild(el("div", "amn-hint", "Most similar (click to move there):"));
  const grid = el("div", "amn-neighbors");
  near.forEach((j, r) => {
    const b = el("button", "amn-neighbor");
    b.type = "button"; b.dataset.index = String(j); b.title = nameOf(j);
    const c = el("canvas", "amn-cutout");
    drawCutout(c, j);
    b.append(c, el("span", null, nameOf(j)), el("span", "amn-hint", `d = ${fmt(nbd[i * k + r])}`));
    b.addEventListener("click", () => focus(j));
    grid.appendChild(b);
  });
  box.appendChild(grid);
  renderTable();
}

function search() {
  const q = $("amn-search").value.trim().toLowerCase();
  if (!q) {
    matches = null; $("amn-search-info").textContent = "";
    view.update({ selected: lassoed }); renderTable(); return;
  }
  matches = [];
  for (let i = 0; i < n; i++) if (nameOf(i).toLowerCase().includes(q)) matches.push(i);
  $("amn-search-info").textContent = matches.length === 1 ? "1 match" : `${matches.length} matches`;
  view.update({ selected: matches });
  const exact = matches.find((i) => nameOf(i).toLowerCase() === q);
  if (matches.length) focus(exact !== undefined ? exact : matches[0]); else renderTable();
}
$("amn-search").addEventListener("input", search);

function compare(a, b) {
  const va = DATA.rows[sortBy][a], vb = DATA.rows[sortBy][b];
  if (va == null || vb == null) return va == null ? (vb == null ? a - b : 1) : -1;
  if (typeof va === "number" && typeof vb === "number") return (va - vb) * sortDir || a - b;
  return String(va).localeCompare(String(vb)) * sortDir || a - b;
}

function renderHead() {
  const tr = el("tr");
  for (const name of DATA.columns) {
    const arrow = sortBy === name ? (sortDir > 0 ? " \u25b2" : " \u25bc") : "";
    const th = el("th", null, name + arrow);
    th.title = "Sort by this column";
    th.addEventListener("click", () => {
      sortDir = sortBy === name ? -sortDir : 1; sortBy = name; renderHead(); renderTable();
    });
    tr.appendChild(th);
  }
  $("amn-table").tHead.replaceChildren(tr);
}

function renderTable() {
  let rows, what;
  if (matches) { rows = matches.slice(); what = "search matches"; }
  else if (lassoed.length) { rows = lassoed.slice(); what = "selected objects"; }
  else { rows = Array.from({ length: n }, (_, i) => i); what = "objects"; }
  if (sortBy) rows.sort(compare);
  const total = rows.length;
  rows = rows.slice(0, MAX_ROWS);
  if (current >= 0 && !rows.includes(current)) rows.unshift(current);
  const body = document.createDocumentFragment();
  for (const i of rows) {
    const tr = el("tr");
    tr.dataset.index = String(i);
    if (i === current) tr.className = "amn-focus";
    for (const name of DATA.columns) tr.appendChild(el("td", null, fmt(DATA.rows[name][i])));
    tr.addEventListener("click", () => focus(i));
    body.appendChild(tr);
  }
  $("amn-table").tBodies[0].replaceChildren(body);
  $("amn-table-info").textContent = total > MAX_ROWS
    ? `Showing the first ${MAX_ROWS} of ${total.toLocaleString("en")} ${what}; ` +
      "sort by a column, search or lasso to see others."
    : `${total.toLocaleString("en")} ${what}.`;
}
renderHead();
renderTable();

window.__amnPage = { view, focus, search, get current() { return current; } };
(async () => {
  const packed = bytes64(DATA.thumbnails);
  let raw = packed;
  if (DATA.thumbnailEncoding === "deflate") {
    const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("deflate"));
    raw = new Uint8Array(await new Response(stream).arrayBuffer());
  }
  thumbs = raw;
  view.update({ thumbnails: [raw], thumbnailSize: T, thumbnailsPerChunk: n });
  if (current >= 0) focus(current);
  document.body.dataset.thumbnails = "ready";
})().catch((err) => {
  $("amn-sub").textContent =
    `Cutouts could not be unpacked in this browser (${err}); the map still works.`;
});
