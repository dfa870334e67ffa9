// astromorph_nb map widget: a scatter map of many points (t-SNE map) drawn with WebGL, with
// hover cutouts from thumbnails already in the browser, click and lasso selection.
//
// Two layers, so that a kernel-free HTML page can reuse the drawing code:
//   createMapView(container, data, callbacks)  the core: plain DOM + canvas, no Jupyter,
//       composed of a renderer, a key, a tooltip and an interaction part (see below).
//       data       plain object of typed arrays and lists (see DEFAULTS below)
//       callbacks  {onHover(i), onClick(i), onSelect(indices), onModeChange(mode)}
//       returns    {update(partialData), destroy(), fitView(), pick(clientX, clientY), ...}
//   export default { render({ model, el }) }   the anywidget adapter: model traits in,
//       user actions out (model.set + model.save_changes).
//
// Everything is in this one ES module: no CDN, no fonts, no libraries.  Text from the user
// (labels, category names, value label) is only ever written with textContent.

const LUT_HEX = {
  viridis: "440154470d6048186a482374472e7c4538824241863e4a893a548c365d8d32658e2e6d8e2b758e287d8e25848e228c8d1f948c1e9c8920a38625ab822eb37c3aba7648c16e58c7656ccd5a7fd34e93d741a8db34c0df25d5e21aeae51afde725",
  magma: "0000040303120a0822130d341e11492a115c38106c45107754137d6018806d1d81792282882781942c80a1307eae347bbd3977ca3e72d6456ce24d66ec5860f3655cf8745cfb835ffd9467fea36ffeb27afec185fed194fde0a1fceeb0fcfdbf",
  plasma: "0d08872206903105973f049c4e02a25b01a56700a87401a88104a78d0ba59814a0a21d9aad2793b6308bbf3984c7427ccf4c74d6556ddd5e66e3685fe97257ef7c51f3874af79143fa9e3bfca934fdb52efdc229fcd025f9dd25f5eb27f0f921",
  inferno: "0000040403120b0724150b37230c4c310a5c3e09664c0c6b5a116e67166e741a6e801f6c8f24699b2964a82e5fb43359c13a50cc4248d74b3fe05536e9612bef6e21f57b17f8890cfb9906fca80dfbb81df9c72ff5d949f2e865f3f586fcffa4",
  cividis: "00224e00285b002e6a0533711c396f293f6e33446d3c4a6c45506c4d556c555b6d5c616e6467706b6d72727274787877807f78888578908b78979177a09875a89e73b0a571b9ab6dc2b369cbb965d3c05fdcc859e6d051efd748f8df3cfee838",
  coolwarm: "3b4cc0445acc4e68d85875e16384eb6e90f2799cf884a7fc90b2fe9bbcffa6c4feb1cbfcbcd2f7c6d6f1cfdaead8dce2e1dad6e9d5cbefcfbff3c8b2f6bea4f7b497f7a98bf59d7ef18f71ec8165e67259df634ed55042cb3e38c0282fb40426",
  turbo: "30123b392a734040a24456c7476ee64682f84196ff35abf825c0e71ad2d218e0bd22ebaa3cf58e59fb7379fe5996fe44affa37c3f134d7e535e7d739f5c53afcb336fe9e2ffc8725f66c19ed5510e2430ad43305c12302ac1701950d017a0403",
};
// tab10, then the lighter tab20 partners: categories beyond 20 reuse colours.
const CATEGORY_HEX = "1f77b4ff7f0e2ca02cd627289467bd8c564be377c27f7f7fbcbd2217becfaec7e8ffbb7898df8aff9896c5b0d5c49c94f7b6d2c7c7c7dbdb8d9edae5";
const MISSING_RGB = [175, 175, 175];
const PLAIN_RGB = [38, 97, 156];
const FOCUS_COLOR = "#d62728";
const NEIGHBOR_COLOR = "#ff7f0e";
const HIGHLIGHT_COLOR = "#e6007e"; // search candidates: magenta diamonds, unlike any ring
const LASSO_COLOR = "#1f6feb";
const CLICK_SLOP_PX = 4;

export const COLORMAP_NAMES = Object.keys(LUT_HEX);

const DEFAULTS = {
  x: new Float32Array(0), // map coordinates, one per point
  y: new Float32Array(0),
  values: new Float32Array(0), // colour values; NaN = missing; categorical: codes, -1 = noise
  colorMode: "none", // "none" | "numeric" | "categorical"
  colormap: "viridis",
  categories: [],
  valueLabel: "",
  labels: [], // hover text per point
  thumbnails: [], // Uint8Array chunks of (m, t, t) grey images, numpy row 0 = bottom row;
  thumbnailSize: 0, // a chunk may still be missing (null) while thumbnails stream in
  thumbnailsPerChunk: 0, // m; 0 = from the length of the first chunk
  pointSize: 3,
  height: 480,
  mode: "pan", // "pan" | "lasso"
  selected: [],
  focus: -1,
  neighbors: [],
  highlighted: [], // drawn as diamonds (e.g. the candidates of a search)
  renderer: "auto", // "auto" | "webgl" | "canvas"
};

// ---------------------------------------------------------------------------------------
// small helpers

function hexToRgb(hex) {
  const out = [];
  for (let k = 0; k < hex.length; k += 6) {
    out.push([0, 2, 4].map((o) => parseInt(hex.slice(k + o, k + o + 2), 16)));
  }
  return out;
}

const CATEGORY_RGB = hexToRgb(CATEGORY_HEX);
const LUTS = {};

function lut(name) {
  const key = LUT_HEX[name] ? name : "viridis";
  if (!LUTS[key]) {
    const stops = hexToRgb(LUT_HEX[key]);
    const table = new Uint8Array(256 * 3);
    for (let i = 0; i < 256; i++) {
      const pos = (i / 255) * (stops.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, stops.length - 1);
      const w = pos - lo;
      for (let c = 0; c < 3; c++) {
        table[i * 3 + c] = Math.round(stops[lo][c] * (1 - w) + stops[hi][c] * w);
      }
    }
    LUTS[key] = table;
  }
  return LUTS[key];
}

function asFloat32(v) {
  if (v == null) return new Float32Array(0);
  if (v instanceof Float32Array) return v;
  if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
    const buffer = v instanceof ArrayBuffer ? v : v.buffer;
    const offset = v instanceof ArrayBuffer ? 0 : v.byteOffset;
    const n = Math.floor(v.byteLength / 4);
    // a Float32Array view needs a 4-byte aligned offset; message buffers may not be aligned
    if (offset % 4 === 0) return new Float32Array(buffer, offset, n);
    return new Float32Array(buffer.slice(offset, offset + n * 4));
  }
  return Float32Array.from(v);
}

function asUint8(v) {
  if (v == null) return new Uint8Array(0);
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return Uint8Array.from(v);
}

function formatNumber(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

function h(doc, tag, className, text) {
  const el = doc.createElement(tag);
  if (className) el.className = className;
  if (text != null) el.textContent = String(text);
  return el;
}

const ICONS = {
  pan: "M12 3v18M3 12h18M12 3l-3 3M12 3l3 3M12 21l-3-3M12 21l3-3M3 12l3-3M3 12l3 3M21 12l-3-3M21 12l-3 3",
  lasso: "M12 4c4.4 0 8 2.2 8 5s-3.6 5-8 5-8-2.2-8-5 3.6-5 8-5zM6.5 12.6c-1.6 1.4-1.2 3.4.6 4.2 1.6.7 1.9 2.2.9 3.2",
  fit: "M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5",
  clear: "M6 6l12 12M18 6L6 18",
};

function icon(doc, name) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = doc.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = doc.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "2");
  path.setAttribute("stroke-linecap", "round");
  path.setAttribute("stroke-linejoin", "round");
  svg.appendChild(path);
  return svg;
}

const STYLE_ID = "amn-map-style-1";
const CSS = `
.amn-map { position: relative; box-sizing: border-box; width: 100%; min-width: 280px; flex: 1 1 auto;
  font: 12px/1.35 var(--jp-ui-font-family, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  color: var(--jp-ui-font-color1, #1f2328); user-select: none; -webkit-user-select: none; }
.amn-map-toolbar { display: flex; align-items: center; gap: 4px; padding: 0 0 6px 0; }
.amn-map-btn { display: inline-flex; align-items: center; gap: 5px; height: 26px; padding: 0 9px;
  border: 1px solid var(--jp-border-color1, #c8ccd1); border-radius: 4px; cursor: pointer;
  background: var(--jp-layout-color1, #fff); color: inherit; font: inherit; }
.amn-map-btn:hover { background: var(--jp-layout-color2, #eef1f4); }
.amn-map-btn[aria-pressed="true"] { background: #1f6feb; border-color: #1f6feb; color: #fff; }
.amn-map-btn svg { width: 14px; height: 14px; }
.amn-map-sep { width: 8px; }
.amn-map-info { margin-left: auto; padding-left: 8px; color: var(--jp-ui-font-color2, #57606a);
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.amn-map-stage { position: relative; overflow: hidden; border: 1px solid #d0d7de; border-radius: 6px;
  background: #fbfbfc; touch-action: none; }
.amn-map-points, .amn-map-overlay { position: absolute; left: 0; top: 0; }
.amn-map-overlay { cursor: grab; }
.amn-map-stage.amn-lasso .amn-map-overlay { cursor: crosshair; }
.amn-map-stage.amn-dragging .amn-map-overlay { cursor: grabbing; }
.amn-map-stage.amn-dragging.amn-lasso .amn-map-overlay { cursor: crosshair; }
.amn-map-stage.amn-over-point .amn-map-overlay { cursor: pointer; }
.amn-map-hint { position: absolute; left: 8px; bottom: 6px; color: #6e7781; font-size: 11px;
  pointer-events: none; background: rgba(251,251,252,.8); padding: 1px 4px; border-radius: 3px; }
.amn-map-empty { position: absolute; inset: 0; display: flex; align-items: center;
  justify-content: center; color: #6e7781; pointer-events: none; font-size: 13px; }
.amn-map-key { position: absolute; right: 8px; top: 8px; z-index: 2; padding: 6px 8px;
  max-height: calc(100% - 40px); max-width: 45%; overflow: auto; color: #1f2328;
  background: rgba(255,255,255,.92); border: 1px solid #d0d7de; border-radius: 6px; }
.amn-map-key-title { font-weight: 600; margin-bottom: 4px; word-break: break-word; }
.amn-map-colorbar { display: block; width: 160px; height: 10px; border-radius: 2px;
  border: 1px solid rgba(0,0,0,.15); }
.amn-map-ticks { display: flex; justify-content: space-between; width: 162px; margin-top: 2px;
  font-variant-numeric: tabular-nums; color: #57606a; }
.amn-map-legend-item { display: flex; align-items: center; gap: 6px; white-space: nowrap; }
.amn-map-legend-item span:nth-child(2) { overflow: hidden; text-overflow: ellipsis; }
.amn-map-swatch { flex: none; width: 10px; height: 10px; border-radius: 50%;
  border: 1px solid rgba(0,0,0,.25); }
.amn-map-count { margin-left: auto; padding-left: 8px; color: #6e7781;
  font-variant-numeric: tabular-nums; }
.amn-map-tooltip { position: absolute; z-index: 3; display: none; pointer-events: none;
  padding: 6px; max-width: 240px; color: #1f2328; background: rgba(255,255,255,.97);
  border: 1px solid #d0d7de; border-radius: 6px; box-shadow: 0 4px 14px rgba(0,0,0,.18); }
.amn-map-tooltip canvas { display: block; width: 112px; height: 112px;
  image-rendering: pixelated; background: #000; border-radius: 3px; }
.amn-map-tooltip-label { margin-top: 4px; white-space: pre-wrap; word-break: break-word;
  font-weight: 600; }
.amn-map-tooltip-value { color: #57606a; white-space: pre-wrap; word-break: break-word; }
`;

function injectStyle(doc) {
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  (doc.head || doc.documentElement).appendChild(style);
}

// ---------------------------------------------------------------------------------------
// colours and draw order

function computeColors(S) {
  const n = S.n;
  const rgba = new Uint8Array(n * 4);
  const missing = new Uint8Array(n);
  const values = S.values.length === n ? S.values : null;
  const mode = values ? S.colorMode : "none";
  let key = { mode: "none" };
  let bucket = null; // draw-order key: higher buckets are drawn later (on top)
  if (mode === "numeric") {
    const finite = [];
    for (let i = 0; i < n; i++) if (Number.isFinite(values[i])) finite.push(values[i]);
    const sorted = Float32Array.from(finite).sort();
    const q = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))];
    let lo = sorted.length ? q(0.005) : 0;
    let hi = sorted.length ? q(0.995) : 1;
    const min = sorted.length ? sorted[0] : 0;
    const max = sorted.length ? sorted[sorted.length - 1] : 1;
    if (!(hi > lo)) { lo = min; hi = max > min ? max : min + 1; }
    const table = lut(S.colormap);
    bucket = new Uint16Array(n);
    let nMissing = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      let rgb;
      if (Number.isFinite(v)) {
        const t = Math.min(255, Math.max(0, Math.round(((v - lo) / (hi - lo)) * 255)));
        rgb = [table[t * 3], table[t * 3 + 1], table[t * 3 + 2]];
        bucket[i] = t + 1;
      } else {
        rgb = MISSING_RGB; missing[i] = 1; nMissing++;
      }
      rgba.set(rgb, i * 4); rgba[i * 4 + 3] = 255;
    }
    key = { mode, lo, hi, clippedLo: min < lo, clippedHi: max > hi, nMissing, table };
  } else if (mode === "categorical") {
    const k = S.categories.length;
    const counts = new Array(k).fill(0);
    let nMissing = 0;
    bucket = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      const c = values[i];
      let rgb;
      if (Number.isInteger(c) && c >= 0 && c < k) {
        rgb = CATEGORY_RGB[c % CATEGORY_RGB.length]; counts[c]++; bucket[i] = 1;
      } else {
        rgb = MISSING_RGB; missing[i] = 1; nMissing++;
      }
      rgba.set(rgb, i * 4); rgba[i * 4 + 3] = 255;
    }
    key = { mode, counts, nMissing };
  } else {
    for (let i = 0; i < n; i++) { rgba.set(PLAIN_RGB, i * 4); rgba[i * 4 + 3] = 255; }
  }
  // draw order: a stable counting sort on the bucket (missing first, high values last)
  const order = new Uint32Array(n);
  if (bucket) {
    const counts = new Uint32Array(258);
    for (let i = 0; i < n; i++) counts[bucket[i] + 1]++;
    for (let b = 1; b < 258; b++) counts[b] += counts[b - 1];
    for (let i = 0; i < n; i++) order[counts[bucket[i]]++] = i;
  } else {
    for (let i = 0; i < n; i++) order[i] = i;
  }
  return { rgba, order, key };
}

// ---------------------------------------------------------------------------------------
// spatial index: a uniform grid over the data bounds, built once per data change

function buildGrid(x, y, n) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const a = x[i], b = y[i];
    if (a < minX) minX = a; if (a > maxX) maxX = a;
    if (b < minY) minY = b; if (b > maxY) maxY = b;
  }
  if (!n) { minX = minY = 0; maxX = maxY = 1; }
  const side = Math.max(1, Math.min(2048, Math.ceil(Math.sqrt(n / 2))));
  const cellW = (maxX - minX) / side || 1;
  const cellH = (maxY - minY) / side || 1;
  const cellOf = new Uint32Array(n);
  const start = new Uint32Array(side * side + 1);
  for (let i = 0; i < n; i++) {
    const cx = Math.min(side - 1, Math.floor((x[i] - minX) / cellW));
    const cy = Math.min(side - 1, Math.floor((y[i] - minY) / cellH));
    cellOf[i] = cy * side + cx;
    start[cellOf[i] + 1]++;
  }
  for (let c = 0; c < side * side; c++) start[c + 1] += start[c];
  const fill = start.slice(0, side * side);
  const items = new Uint32Array(n);
  for (let i = 0; i < n; i++) items[fill[cellOf[i]]++] = i;
  return { minX, minY, maxX, maxY, side, cellW, cellH, start, items };
}

function cellRange(grid, lo, hi, min, size) {
  const a = Math.max(0, Math.floor((lo - min) / size));
  const b = Math.min(grid.side - 1, Math.floor((hi - min) / size));
  return [a, b];
}

function gridNearest(grid, x, y, rank, px, py, radius) {
  const [cx0, cx1] = cellRange(grid, px - radius, px + radius, grid.minX, grid.cellW);
  const [cy0, cy1] = cellRange(grid, py - radius, py + radius, grid.minY, grid.cellH);
  let best = -1, bestD = radius * radius;
  for (let cy = cy0; cy <= cy1; cy++) {
    for (let cx = cx0; cx <= cx1; cx++) {
      const c = cy * grid.side + cx;
      for (let k = grid.start[c]; k < grid.start[c + 1]; k++) {
        const i = grid.items[k];
        const dx = x[i] - px, dy = y[i] - py, d = dx * dx + dy * dy;
        if (d < bestD || (d === bestD && best >= 0 && rank[i] > rank[best])) { best = i; bestD = d; }
      }
    }
  }
  return best;
}

function insidePolygon(poly, px, py) {
  let inside = false;
  for (let a = 0, b = poly.length - 1; a < poly.length; b = a++) {
    const [xa, ya] = poly[a], [xb, yb] = poly[b];
    if ((ya > py) !== (yb > py) && px < ((xb - xa) * (py - ya)) / (yb - ya) + xa) inside = !inside;
  }
  return inside;
}

function gridInPolygon(grid, x, y, poly) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const [a, b] of poly) { x0 = Math.min(x0, a); x1 = Math.max(x1, a); y0 = Math.min(y0, b); y1 = Math.max(y1, b); }
  const [cx0, cx1] = cellRange(grid, x0, x1, grid.minX, grid.cellW);
  const [cy0, cy1] = cellRange(grid, y0, y1, grid.minY, grid.cellH);
  const out = [];
  for (let cy = cy0; cy <= cy1; cy++) {
    for (let cx = cx0; cx <= cx1; cx++) {
      const c = cy * grid.side + cx;
      for (let k = grid.start[c]; k < grid.start[c + 1]; k++) {
        const i = grid.items[k];
        if (x[i] >= x0 && x[i] <= x1 && y[i] >= y0 && y[i] <= y1 && insidePolygon(poly, x[i], y[i])) out.push(i);
      }
    }
  }
  return out.sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------
// renderers: WebGL (preferred) and canvas 2D (fallback); both draw points in draw order

// Each point is a disc of u_size pixels with a thin dark rim (1 px each side), so that pale
// colours (the yellow end of viridis) stay visible on the light background. Pass 1 draws
// every point (dimmed, rimless while there is a selection); pass 2 only the selected ones.
const VERTEX = `
attribute vec2 a_pos; attribute vec4 a_color; attribute float a_flag;
uniform vec2 u_center; uniform vec2 u_scale; uniform float u_size; uniform float u_pass;
uniform float u_alpha; uniform float u_ratio;
varying vec4 v_color; varying float v_inner; varying float v_px;
void main() {
  float s = u_pass > 0.5 ? u_size + 1.0 : u_size;
  gl_Position = vec4((a_pos - u_center) * u_scale, 0.0, 1.0);
  if (u_pass > 0.5 && a_flag < 0.5) { gl_Position = vec4(2.0, 2.0, 2.0, 1.0); s = 0.0; }
  v_px = (s + 2.0) * u_ratio;
  gl_PointSize = v_px;
  v_inner = s / (s + 2.0);
  v_color = vec4(a_color.rgb, u_alpha);
}`;
const FRAGMENT = `
precision mediump float;
uniform float u_rim;
varying vec4 v_color; varying float v_inner; varying float v_px;
void main() {
  float r = length(gl_PointCoord * 2.0 - 1.0);
  float aa = min(0.5, 1.5 / max(v_px, 1.0));
  float cover = 1.0 - smoothstep(1.0 - aa, 1.0, r);
  if (cover <= 0.0) discard;
  float core = 1.0 - smoothstep(v_inner - aa, v_inner, r);
  vec3 rgb = mix(vec3(0.12), v_color.rgb, core);
  float alpha = mix(u_rim, 1.0, core) * v_color.a * cover;
  if (alpha <= 0.0) discard;
  gl_FragColor = vec4(rgb * alpha, alpha);
}`;

function isSoftwareGL(gl) {
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  return /swiftshader|llvmpipe|softpipe|software/i.test(name);
}

function createWebGLRenderer(canvas, evenInSoftware) {
  const gl = canvas.getContext("webgl", { antialias: false, alpha: true, premultipliedAlpha: true,
    depth: false, stencil: false, preserveDrawingBuffer: false });
  if (!gl) return null;
  if (!evenInSoftware && isSoftwareGL(gl)) {
    const lose = gl.getExtension("WEBGL_lose_context");
    if (lose) lose.loseContext();
    return null;
  }
  const compile = (type, src) => {
    const s = gl.createShader(type); gl.shaderSource(s, src); gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
    return s;
  };
  const prog = gl.createProgram();
  gl.attachShader(prog, compile(gl.VERTEX_SHADER, VERTEX));
  gl.attachShader(prog, compile(gl.FRAGMENT_SHADER, FRAGMENT));
  gl.linkProgram(prog);
  if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(prog));
  const loc = (name) => gl.getUniformLocation(prog, name);
  const u = { center: loc("u_center"), scale: loc("u_scale"), size: loc("u_size"), pass: loc("u_pass"),
    alpha: loc("u_alpha"), ratio: loc("u_ratio"), rim: loc("u_rim") };
  const attr = (name, size, type, normalized) => {
    const buffer = gl.createBuffer();
    const index = gl.getAttribLocation(prog, name);
    return { buffer, index, size, type, normalized };
  };
  const pos = attr("a_pos", 2, gl.FLOAT, false);
  const col = attr("a_color", 4, gl.UNSIGNED_BYTE, true);
  const flag = attr("a_flag", 1, gl.UNSIGNED_BYTE, false);
  let count = 0;
  const upload = (a, data) => { gl.bindBuffer(gl.ARRAY_BUFFER, a.buffer); gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW); };
  const bind = (a) => {
    gl.bindBuffer(gl.ARRAY_BUFFER, a.buffer);
    gl.enableVertexAttribArray(a.index);
    gl.vertexAttribPointer(a.index, a.size, a.type, a.normalized, 0, 0);
  };
  return {
    kind: "webgl",
    setPoints(xy, rgba) { count = xy.length / 2; upload(pos, xy); upload(col, rgba); },
    setFlags(flags) { upload(flag, flags); },
    draw(v) {
      gl.viewport(0, 0, canvas.width, canvas.height);
      gl.clearColor(0, 0, 0, 0); gl.clear(gl.COLOR_BUFFER_BIT);
      if (!count) return;
      gl.useProgram(prog);
      gl.enable(gl.BLEND); gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
      bind(pos); bind(col); bind(flag);
      gl.uniform2f(u.center, v.cx, v.cy);
      gl.uniform2f(u.scale, (2 * v.scale) / v.width, (2 * v.scale) / v.height);
      gl.uniform1f(u.size, v.pointSize);
      gl.uniform1f(u.ratio, v.ratio);
      gl.uniform1f(u.pass, 0);
      gl.uniform1f(u.alpha, v.nFlagged ? v.alpha * 0.25 : v.alpha);
      gl.uniform1f(u.rim, v.nFlagged ? 0.0 : v.rim);
      gl.drawArrays(gl.POINTS, 0, count);
      if (v.nFlagged) {
        gl.uniform1f(u.pass, 1); gl.uniform1f(u.alpha, 1); gl.uniform1f(u.rim, 0.9);
        gl.drawArrays(gl.POINTS, 0, count);
      }
    },
    destroy() { const ext = gl.getExtension("WEBGL_lose_context"); if (ext) ext.loseContext(); },
  };
}

function createCanvasRenderer(canvas) {
  const ctx = canvas.getContext("2d");
  let xy = new Float32Array(0), rgba = new Uint8Array(0), flags = new Uint8Array(0);
  const styles = new Map();
  const style = (k) => {
    const key = (rgba[k * 4] << 16) | (rgba[k * 4 + 1] << 8) | rgba[k * 4 + 2];
    let s = styles.get(key);
    if (!s) { s = `rgb(${rgba[k * 4]},${rgba[k * 4 + 1]},${rgba[k * 4 + 2]})`; styles.set(key, s); }
    return s;
  };
  return {
    kind: "canvas",
    setPoints(p, c) { xy = p; rgba = c; },
    setFlags(f) { flags = f; },
    draw(v) {
      const r = v.ratio, w = canvas.width, hgt = canvas.height;
      ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.clearRect(0, 0, w, hgt);
      const n = xy.length / 2, size = v.pointSize * r, half = size / 2;
      // discs with a rim as in WebGL, batched per colour (consecutive points mostly share one);
      // crowded maps get plain squares, which are much cheaper and look the same there
      const draw = (pass, rim) => {
        const discs = pass || n <= 30000;
        const rad = (pass ? half + 0.5 * r : half) + 0.5 * r;
        ctx.strokeStyle = `rgba(30,30,30,${rim})`; ctx.lineWidth = r;
        let last = "", open = false;
        const flush = () => { if (open) { ctx.fill(); if (rim > 0) ctx.stroke(); open = false; } };
        for (let k = 0; k < n; k++) {
          if (pass && !flags[k]) continue;
          const sx = ((xy[2 * k] - v.cx) * v.scale + v.width / 2) * r;
          const sy = (v.height / 2 - (xy[2 * k + 1] - v.cy) * v.scale) * r;
          if (sx < -size || sy < -size || sx > w + size || sy > hgt + size) continue;
          const s = style(k);
          if (s !== last) { flush(); ctx.fillStyle = s; last = s; }
          if (discs) {
            if (!open) { ctx.beginPath(); open = true; }
            ctx.moveTo(sx + rad, sy); ctx.arc(sx, sy, rad, 0, 2 * Math.PI);
          } else ctx.fillRect(sx - half, sy - half, size, size);
        }
        flush();
      };
      ctx.globalAlpha = v.nFlagged ? v.alpha * 0.25 : v.alpha;
      draw(false, v.nFlagged ? 0 : v.rim);
      if (v.nFlagged) { ctx.globalAlpha = 1; draw(true, 0.9); }
      ctx.globalAlpha = 1;
    },
    destroy() {},
  };
}

// ---------------------------------------------------------------------------------------
// the core view, in parts that share one state object S (see createMapView):
//   createToolbar     the buttons above the map
//   createRenderer    the point layer (WebGL or canvas 2D) and the overlay (rings, diamonds, lasso)
//   createKey         the colour bar or legend, and the info line
//   createTooltip     the hover card: enlarged thumbnail, label, value
//   createInteraction pan, zoom, hover, click and lasso, through the spatial index
//   createMapView     builds the parts, takes data in (update) and gives the view's API

// map coordinates <-> local screen pixels of the view S.view
const toScreen = (S, i) => [
  (S.x[i] - S.view.cx) * S.view.scale + S.width / 2,
  S.height / 2 - (S.y[i] - S.view.cy) * S.view.scale,
];
const toData = (S, lx, ly) => [
  S.view.cx + (lx - S.width / 2) / S.view.scale,
  S.view.cy - (ly - S.height / 2) / S.view.scale,
];

function createToolbar(doc) {
  const toolbar = h(doc, "div", "amn-map-toolbar");
  const button = (name, text, title) => {
    const b = h(doc, "button", "amn-map-btn amn-map-btn-" + name);
    b.type = "button"; b.title = title;
    b.appendChild(icon(doc, name)); b.appendChild(h(doc, "span", null, text));
    toolbar.appendChild(b);
    return b;
  };
  const pan = button("pan", "Pan", "Drag to move, wheel to zoom");
  const lasso = button("lasso", "Lasso", "Drag a loop around points to select them (or shift+drag)");
  toolbar.appendChild(h(doc, "span", "amn-map-sep"));
  const fit = button("fit", "Reset view", "Show all points");
  const clear = button("clear", "Clear selection", "Deselect all points");
  const info = h(doc, "span", "amn-map-info");
  toolbar.appendChild(info);
  return { toolbar, buttons: { pan, lasso, fit, clear }, info };
}

// drawing ------------------------------------------------------------------------------
// onDrawn() runs after every frame drawn.
function createRenderer(S, { doc, win, container, stage, overlay }, onDrawn) {
  const octx = overlay.getContext("2d");
  let backend = null, pointCanvas = null;

  // "auto": WebGL, unless the browser only has software WebGL (SwiftShader, llvmpipe), where
  // canvas 2D redraws 100,000 points 2-5x faster (measured in benchmarks/bench_widgets.py)
  function setKind(wanted) {
    if (backend) backend.destroy();
    let canvas = h(doc, "canvas", "amn-map-points");
    let made = null;
    if (wanted !== "canvas") {
      try { made = createWebGLRenderer(canvas, wanted === "webgl"); } catch (err) { made = null; }
    }
    if (!made) { canvas = h(doc, "canvas", "amn-map-points"); made = createCanvasRenderer(canvas); }
    if (pointCanvas) pointCanvas.replaceWith(canvas); else stage.prepend(canvas);
    pointCanvas = canvas; backend = made; S.renderer = wanted;
    container.dataset.renderer = made.kind;
  }

  // the points in draw order (S.colors.order); S.rank[i] is point i's place in it
  function setPoints() {
    const n = S.n;
    const { order, rgba } = S.colors;
    const xy = new Float32Array(n * 2), ordered = new Uint8Array(n * 4);
    S.rank = new Uint32Array(n);
    for (let k = 0; k < n; k++) {
      const i = order[k];
      xy[2 * k] = S.x[i]; xy[2 * k + 1] = S.y[i];
      ordered.set(rgba.subarray(i * 4, i * 4 + 4), k * 4);
      S.rank[i] = k;
    }
    backend.setPoints(xy, ordered);
  }

  function setSelection() {
    const flags = new Uint8Array(S.n);
    S.selectedSet = new Set();
    for (const i of S.selected) {
      if (Number.isInteger(i) && i >= 0 && i < S.n) { flags[S.rank[i]] = 1; S.selectedSet.add(i); }
    }
    S.flags = flags;
    backend.setFlags(flags);
  }

  function setSize() {
    const ratio = win.devicePixelRatio || 1;
    for (const c of [pointCanvas, overlay]) {
      c.width = Math.round(S.width * ratio); c.height = Math.round(S.height * ratio);
      c.style.width = `${S.width}px`; c.style.height = `${S.height}px`;
    }
  }

  // points: the point layer must be redrawn too (view, data, colours or selection changed);
  // hover rings, focus, neighbours, highlights and the lasso only need the cheap overlay layer
  function requestDraw(points = true) {
    if (points) S.pointsDirty = true;
    if (!S.frame && !S.destroyed) S.frame = win.requestAnimationFrame(draw);
  }

  function draw() {
    S.frame = 0;
    if (!S.width) return;
    const ratio = win.devicePixelRatio || 1;
    // crowded maps get more transparent points and fainter rims; zooming in thins them out
    const zoom = S.fitScale ? S.view.scale / S.fitScale : 1;
    const crowd = S.n / Math.max(1, zoom * zoom);
    const alpha = Math.min(0.85, Math.max(0.35, Math.sqrt(20000 / Math.max(crowd, 1))));
    const rim = 0.55 * Math.min(1, Math.sqrt(8000 / Math.max(crowd, 1)));
    if (S.pointsDirty) {
      S.pointsDirty = false;
      backend.draw({ ...S.view, width: S.width, height: S.height, ratio, pointSize: S.pointSize,
        alpha, rim, nFlagged: S.selectedSet.size });
    }
    drawOverlay(ratio);
    onDrawn();
  }

  function ring(i, radius, color, width) {
    if (!(i >= 0 && i < S.n)) return;
    const [sx, sy] = toScreen(S, i);
    octx.beginPath(); octx.arc(sx, sy, radius, 0, 2 * Math.PI);
    octx.strokeStyle = "rgba(255,255,255,0.95)"; octx.lineWidth = width + 2.5; octx.stroke();
    octx.strokeStyle = color; octx.lineWidth = width; octx.stroke();
  }

  function diamond(i, radius, color, width) {
    if (!(i >= 0 && i < S.n)) return;
    const [sx, sy] = toScreen(S, i);
    octx.beginPath();
    octx.moveTo(sx, sy - radius); octx.lineTo(sx + radius, sy);
    octx.lineTo(sx, sy + radius); octx.lineTo(sx - radius, sy); octx.closePath();
    octx.strokeStyle = "rgba(255,255,255,0.95)"; octx.lineWidth = width + 2.5; octx.stroke();
    octx.strokeStyle = color; octx.lineWidth = width; octx.stroke();
  }

  // the overlay is a canvas 2D layer above the points in both renderers (WebGL and canvas)
  function drawOverlay(ratio) {
    octx.setTransform(ratio, 0, 0, ratio, 0, 0);
    octx.clearRect(0, 0, S.width, S.height);
    for (const i of S.highlighted) diamond(i, S.pointSize / 2 + 6, HIGHLIGHT_COLOR, 2);
    for (const i of S.neighbors) ring(i, S.pointSize / 2 + 4, NEIGHBOR_COLOR, 1.8);
    ring(S.focus, S.pointSize / 2 + 7, FOCUS_COLOR, 2.5);
    if (S.hovered >= 0 && !S.drag) ring(S.hovered, S.pointSize / 2 + 3, "#111", 1.4);
    const poly = S.lasso;
    if (poly && poly.length > 1) {
      octx.beginPath(); octx.moveTo(poly[0][0], poly[0][1]);
      for (const [a, b] of poly) octx.lineTo(a, b);
      octx.closePath();
      octx.fillStyle = "rgba(31,111,235,0.08)"; octx.fill();
      octx.setLineDash([5, 4]); octx.strokeStyle = LASSO_COLOR; octx.lineWidth = 1.5; octx.stroke();
      octx.setLineDash([]);
    }
  }

  return {
    setKind, setPoints, setSelection, setSize, requestDraw,
    /** Draw now instead of at the next animation frame. */
    drawNow() { if (S.frame) { win.cancelAnimationFrame(S.frame); S.frame = 0; } draw(); },
    get kind() { return backend.kind; },
    destroy() { if (S.frame) win.cancelAnimationFrame(S.frame); backend.destroy(); },
  };
}

// colour bar / legend and the info line --------------------------------------------------
function createKey(S, { doc, key, info, hint }) {
  function render() {
    key.replaceChildren();
    const k = S.colors.key;
    if (k.mode === "none") { key.style.display = "none"; return; }
    key.style.display = "block";
    key.appendChild(h(doc, "div", "amn-map-key-title", S.valueLabel || (k.mode === "numeric" ? "value" : "category")));
    if (k.mode === "numeric") {
      const bar = h(doc, "canvas", "amn-map-colorbar");
      bar.width = 256; bar.height = 1;
      const bctx = bar.getContext("2d");
      const img = bctx.createImageData(256, 1);
      for (let i = 0; i < 256; i++) { img.data.set(k.table.subarray(i * 3, i * 3 + 3), i * 4); img.data[i * 4 + 3] = 255; }
      bctx.putImageData(img, 0, 0);
      key.appendChild(bar);
      const ticks = h(doc, "div", "amn-map-ticks");
      ticks.append(h(doc, "span", null, (k.clippedLo ? "≤ " : "") + formatNumber(k.lo)),
        h(doc, "span", null, (k.clippedHi ? "≥ " : "") + formatNumber(k.hi)));
      key.appendChild(ticks);
      key.title = "Colours span the 0.5–99.5 percentiles of the values";
    } else {
      const shown = Math.min(S.categories.length, 30);
      for (let c = 0; c < shown; c++) {
        key.appendChild(legendItem(CATEGORY_RGB[c % CATEGORY_RGB.length], S.categories[c], k.counts[c]));
      }
      if (S.categories.length > shown) key.appendChild(h(doc, "div", "amn-map-count", `… ${S.categories.length - shown} more`));
      key.title = "";
    }
    if (k.nMissing) key.appendChild(legendItem(MISSING_RGB, k.mode === "numeric" ? "missing" : "none / noise", k.nMissing));
  }

  function legendItem(rgb, name, count) {
    const row = h(doc, "div", "amn-map-legend-item");
    const sw = h(doc, "span", "amn-map-swatch");
    sw.style.background = `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
    row.append(sw, h(doc, "span", null, name), h(doc, "span", "amn-map-count", count.toLocaleString("en-US")));
    return row;
  }

  function updateInfo() {
    let text = `${S.n.toLocaleString("en-US")} objects`;
    if (S.selectedSet.size) text += ` · ${S.selectedSet.size.toLocaleString("en-US")} selected`;
    if (S.fitted && Math.abs(S.view.scale / S.fitScale - 1) > 0.01) text += ` · zoom ×${(S.view.scale / S.fitScale).toFixed(1)}`;
    info.textContent = text;
    hint.textContent = S.mode === "lasso"
      ? "drag: draw a loop to select · wheel: zoom · click: show object"
      : "drag: pan · wheel: zoom · shift+drag: lasso · click: show object";
  }

  return { render, updateInfo };
}

// tooltip ------------------------------------------------------------------------------
function createTooltip(S, { doc, stage }) {
  const tooltip = h(doc, "div", "amn-map-tooltip");
  const thumb = h(doc, "canvas");
  const tipLabel = h(doc, "div", "amn-map-tooltip-label");
  const tipValue = h(doc, "div", "amn-map-tooltip-value");
  tooltip.append(thumb, tipLabel, tipValue);
  stage.append(tooltip);

  function drawThumbnail(i) {
    const t = S.thumbnailSize, chunks = S.thumbnails;
    const first = chunks.find(Boolean);
    if (!t || !first) return false;
    const per = S.thumbnailsPerChunk || Math.floor(first.length / (t * t));
    const chunk = per ? chunks[Math.floor(i / per)] : null;
    const offset = per ? (i % per) * t * t : 0;
    if (!chunk || offset + t * t > chunk.length) return false;
    if (thumb.width !== t) { thumb.width = t; thumb.height = t; }
    const tctx = thumb.getContext("2d");
    const img = tctx.createImageData(t, t);
    const px = img.data;
    for (let row = 0; row < t; row++) {
      const src = offset + (t - 1 - row) * t; // numpy row 0 is the bottom row of the image
      for (let col = 0; col < t; col++) {
        const v = chunk[src + col], o = (row * t + col) * 4;
        px[o] = v; px[o + 1] = v; px[o + 2] = v; px[o + 3] = 255;
      }
    }
    tctx.putImageData(img, 0, 0);
    return true;
  }

  function show(i, lx, ly) {
    if (i < 0 || i >= S.n) { hide(); return; }
    const cutout = drawThumbnail(i);
    thumb.style.display = cutout ? "block" : "none";
    tooltip.dataset.cutout = cutout ? "yes" : "no";
    const label = S.labels.length === S.n ? S.labels[i] : null;
    tipLabel.textContent = label == null || label === "" ? `#${i}` : String(label);
    const v = S.values.length === S.n ? S.values[i] : NaN;
    if (S.colorMode === "numeric" && S.values.length === S.n) {
      tipValue.textContent = `${S.valueLabel || "value"}: ${Number.isFinite(v) ? formatNumber(v) : "missing"}`;
    } else if (S.colorMode === "categorical" && S.values.length === S.n) {
      tipValue.textContent = Number.isInteger(v) && v >= 0 && v < S.categories.length ? String(S.categories[v]) : "none / noise";
    } else tipValue.textContent = "";
    tooltip.style.display = "block";
    tooltip.dataset.index = String(i);
    if (lx === undefined) [lx, ly] = toScreen(S, i);
    place(lx, ly);
  }

  function place(lx, ly) {
    const w = tooltip.offsetWidth, ht = tooltip.offsetHeight, gap = 14;
    let left = lx + gap, top = ly + gap;
    if (left + w > S.width - 2) left = Math.max(2, lx - gap - w);
    if (top + ht > S.height - 2) top = Math.max(2, ly - gap - ht);
    tooltip.style.left = `${left}px`; tooltip.style.top = `${top}px`;
  }

  function hide() {
    tooltip.style.display = "none";
    delete tooltip.dataset.index;
  }

  return { show, place, hide };
}

// interaction --------------------------------------------------------------------------
// view: {renderer, key, tooltip, fitView(), setSelection()}; callbacks as in createMapView
function createInteraction(S, { overlay, stage, buttons }, view, callbacks) {
  const { renderer, key, tooltip } = view;
  const local = (e) => { const r = overlay.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  const pickRadius = () => Math.max(6, S.pointSize / 2 + 4);
  const pickLocal = (lx, ly) => {
    if (!S.n || !S.grid) return -1;
    const [px, py] = toData(S, lx, ly);
    return gridNearest(S.grid, S.x, S.y, S.rank, px, py, pickRadius() / S.view.scale);
  };

  function setMode(mode, notify = true) {
    mode = mode === "lasso" ? "lasso" : "pan";
    S.mode = mode;
    buttons.pan.setAttribute("aria-pressed", String(mode === "pan"));
    buttons.lasso.setAttribute("aria-pressed", String(mode === "lasso"));
    stage.classList.toggle("amn-lasso", mode === "lasso");
    key.updateInfo();
    if (notify && callbacks.onModeChange) callbacks.onModeChange(mode);
  }

  function select(indices) {
    S.selected = indices;
    view.setSelection();
    renderer.requestDraw();
    if (callbacks.onSelect) callbacks.onSelect(indices.slice());
  }

  function setHover(i, lx, ly) {
    if (i === S.hovered) { if (i >= 0 && lx !== undefined) tooltip.place(lx, ly); return; }
    S.hovered = i;
    stage.classList.toggle("amn-over-point", i >= 0);
    if (i >= 0) tooltip.show(i, lx, ly); else tooltip.hide();
    renderer.requestDraw(false);
    if (callbacks.onHover) callbacks.onHover(i);
  }

  const listeners = [];
  const on = (target, type, fn, opts) => { target.addEventListener(type, fn, opts); listeners.push([target, type, fn, opts]); };

  on(overlay, "pointerdown", (e) => {
    if (e.button !== 0) return;
    const [lx, ly] = local(e);
    overlay.setPointerCapture(e.pointerId);
    const lasso = S.mode === "lasso" || e.shiftKey;
    S.drag = { lx, ly, moved: false, lasso, view: { ...S.view } };
    if (lasso) S.lasso = [[lx, ly]];
    stage.classList.add("amn-dragging");
    e.preventDefault();
  });
  on(overlay, "pointermove", (e) => {
    const [lx, ly] = local(e);
    const d = S.drag;
    if (!d) { setHover(pickLocal(lx, ly), lx, ly); return; }
    if (!d.moved && Math.hypot(lx - d.lx, ly - d.ly) < CLICK_SLOP_PX) return;
    if (!d.moved) { d.moved = true; setHover(-1); }
    if (d.lasso) {
      const last = S.lasso[S.lasso.length - 1];
      if (Math.hypot(lx - last[0], ly - last[1]) >= 2) S.lasso.push([lx, ly]);
    } else {
      S.view.cx = d.view.cx - (lx - d.lx) / S.view.scale;
      S.view.cy = d.view.cy + (ly - d.ly) / S.view.scale;
    }
    renderer.requestDraw(!d.lasso);
  });
  const endDrag = (e, cancelled) => {
    const d = S.drag;
    if (!d) return;
    S.drag = null;
    stage.classList.remove("amn-dragging");
    const [lx, ly] = local(e);
    if (!cancelled && !d.moved) {
      const i = pickLocal(lx, ly);
      if (i >= 0 && callbacks.onClick) callbacks.onClick(i);
    } else if (!cancelled && d.lasso) {
      const poly = S.lasso;
      if (poly[poly.length - 1][0] !== lx || poly[poly.length - 1][1] !== ly) poly.push([lx, ly]);
      const r = overlay.getBoundingClientRect();
      S.lastLasso = poly.map(([a, b]) => [a + r.left, b + r.top]);
      select(poly.length >= 3 ? gridInPolygon(S.grid, S.x, S.y, poly.map(([a, b]) => toData(S, a, b))) : []);
    }
    S.lasso = null;
    if (!cancelled) setHover(pickLocal(lx, ly), lx, ly);
    renderer.requestDraw(false);
  };
  on(overlay, "pointerup", (e) => endDrag(e, false));
  on(overlay, "pointercancel", (e) => endDrag(e, true));
  on(overlay, "pointerleave", () => { if (!S.drag) setHover(-1); });
  on(overlay, "wheel", (e) => {
    if (!S.n) return;
    e.preventDefault();
    const [lx, ly] = local(e);
    const step = e.deltaMode === 1 ? 0.05 : e.deltaMode === 2 ? 1 : 0.0015;
    const [dx, dy] = toData(S, lx, ly);
    const scale = Math.min(S.fitScale * 5000, Math.max(S.fitScale / 4, S.view.scale * Math.exp(-e.deltaY * step)));
    S.view = { scale, cx: dx - (lx - S.width / 2) / scale, cy: dy + (ly - S.height / 2) / scale };
    if (!S.drag) setHover(pickLocal(lx, ly), lx, ly);
    renderer.requestDraw();
  }, { passive: false });
  on(overlay, "dblclick", (e) => e.preventDefault());
  on(buttons.pan, "click", () => setMode("pan"));
  on(buttons.lasso, "click", () => setMode("lasso"));
  on(buttons.fit, "click", () => view.fitView());
  on(buttons.clear, "click", () => select([]));

  return {
    setMode, pickLocal, pickRadius,
    destroy() { for (const [t, type, fn, opts] of listeners) t.removeEventListener(type, fn, opts); },
  };
}

// the view -----------------------------------------------------------------------------
export function createMapView(container, data = {}, callbacks = {}) {
  const doc = container.ownerDocument;
  const win = doc.defaultView;
  injectStyle(doc);
  const S = { ...DEFAULTS, n: 0, grid: null, rank: new Uint32Array(0), flags: new Uint8Array(0),
    colors: null, selectedSet: new Set(), view: { cx: 0, cy: 0, scale: 1 }, fitScale: 1,
    fitted: false, width: 0, hovered: -1, drag: null, lasso: null, lastLasso: null,
    frame: 0, pointsDirty: true, drawnFor: -1, dataTime: performance.now(), destroyed: false };

  // DOM: toolbar above the stage; the stage stacks points, overlay, key, hint, tooltip
  container.classList.add("amn-map");
  const { toolbar, buttons, info } = createToolbar(doc);
  const stage = h(doc, "div", "amn-map-stage");
  const overlay = h(doc, "canvas", "amn-map-overlay");
  const keyBox = h(doc, "div", "amn-map-key");
  const hint = h(doc, "div", "amn-map-hint");
  const empty = h(doc, "div", "amn-map-empty", "No points to show yet.");
  stage.append(overlay, keyBox, hint, empty);
  container.append(toolbar, stage);

  const key = createKey(S, { doc, key: keyBox, info, hint });
  const tooltip = createTooltip(S, { doc, stage });
  const renderer = createRenderer(S, { doc, win, container, stage, overlay }, () => {
    key.updateInfo();
    if (S.n && S.drawnFor !== S.n) {
      S.drawnFor = S.n;
      container.dataset.drawnPoints = String(S.n);
      container.dispatchEvent(new CustomEvent("amn-map-drawn", { bubbles: true, composed: true,
        detail: { n: S.n, renderer: renderer.kind, ms: performance.now() - S.dataTime } }));
    }
  });
  renderer.setKind(data.renderer || DEFAULTS.renderer);
  const setSelection = () => { renderer.setSelection(); key.updateInfo(); };
  const interaction = createInteraction(S, { overlay, stage, buttons },
    { renderer, key, tooltip, fitView, setSelection }, callbacks);

  function fitView() {
    if (!S.n || !S.width) return;
    const g = S.grid, pad = 0.06;
    const dx = Math.max(g.maxX - g.minX, 1e-9), dy = Math.max(g.maxY - g.minY, 1e-9);
    S.fitScale = Math.min(S.width / (dx * (1 + 2 * pad)), S.height / (dy * (1 + 2 * pad)));
    S.view = { cx: (g.minX + g.maxX) / 2, cy: (g.minY + g.maxY) / 2, scale: S.fitScale };
    S.fitted = true;
    tooltip.hide();
    renderer.requestDraw();
  }

  function resize() {
    const width = Math.floor(stage.clientWidth);
    if (!width) return;
    S.width = width;
    renderer.setSize();
    if (!S.fitted) fitView();
    renderer.requestDraw();
  }

  function update(d) {
    if (S.destroyed) return;
    const has = (k) => Object.prototype.hasOwnProperty.call(d, k) && d[k] !== undefined;
    let points = false, colors = false, flags = false;
    if (has("x")) { S.x = asFloat32(d.x); points = true; }
    if (has("y")) { S.y = asFloat32(d.y); points = true; }
    if (has("values")) { S.values = asFloat32(d.values); colors = true; }
    for (const k of ["colorMode", "colormap", "categories", "valueLabel"]) if (has(k)) { S[k] = d[k]; colors = true; }
    if (has("renderer") && d.renderer !== S.renderer) {
      renderer.setKind(d.renderer);
      resize();
      colors = true; // upload the points to the new renderer
    }
    if (has("labels")) S.labels = d.labels || [];
    if (has("thumbnails")) S.thumbnails = Array.from(d.thumbnails || [], (c) => (c ? asUint8(c) : null));
    if (has("thumbnailSize")) S.thumbnailSize = d.thumbnailSize | 0;
    if (has("thumbnailsPerChunk")) S.thumbnailsPerChunk = d.thumbnailsPerChunk | 0;
    const layerChanged = ["pointSize", "height", "selected"].some(has);
    if (has("pointSize")) S.pointSize = Math.max(0.5, +d.pointSize || DEFAULTS.pointSize);
    if (has("height")) { S.height = Math.max(120, d.height | 0); stage.style.height = S.height + "px"; resize(); }
    if (has("mode")) interaction.setMode(d.mode, false);
    if (has("selected")) { S.selected = Array.from(d.selected || []); flags = true; }
    if (has("focus")) S.focus = d.focus == null ? -1 : d.focus;
    if (has("neighbors")) S.neighbors = Array.from(d.neighbors || []);
    if (has("highlighted")) S.highlighted = Array.from(d.highlighted || []);
    if (points) {
      S.n = Math.min(S.x.length, S.y.length);
      S.grid = buildGrid(S.x, S.y, S.n);
      S.fitted = false; S.drawnFor = -1; S.dataTime = performance.now();
      S.hovered = -1; tooltip.hide();
      empty.style.display = S.n ? "none" : "flex";
    }
    if (points || colors) {
      S.colors = computeColors(S);
      renderer.setPoints();
      setSelection();
      key.render();
    } else if (flags) setSelection();
    if (points && S.width) fitView();
    if (S.hovered >= 0) tooltip.show(S.hovered);
    renderer.requestDraw(points || colors || layerChanged);
  }

  const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => resize());
  if (observer) observer.observe(stage);

  // initial state
  stage.style.height = `${DEFAULTS.height}px`;
  interaction.setMode(data.mode || DEFAULTS.mode, false);
  update({ ...DEFAULTS, ...data });
  resize();

  return {
    update,
    fitView,
    /** Draw now instead of at the next animation frame (for measurements and exports). */
    drawNow: renderer.drawNow,
    get renderer() { return renderer.kind; },
    get lastLasso() { return S.lastLasso; },
    get state() {
      return { n: S.n, hovered: S.hovered, focus: S.focus, neighbors: S.neighbors.slice(),
        highlighted: S.highlighted.slice(), mode: S.mode,
        selected: Array.from(S.selectedSet).sort((a, b) => a - b), view: { ...S.view }, fitScale: S.fitScale,
        thumbnailChunks: S.thumbnails.filter(Boolean).length };
    },
    /** Client (page) coordinates of point i, as drawn now. */
    dataToClient(i) { const r = overlay.getBoundingClientRect(); const [sx, sy] = toScreen(S, i); return [sx + r.left, sy + r.top]; },
    /** The point a pointer at these client coordinates picks (-1 for none). */
    pick(clientX, clientY) { const r = overlay.getBoundingClientRect(); return interaction.pickLocal(clientX - r.left, clientY - r.top); },
    pickRadius: interaction.pickRadius,
    destroy() {
      S.destroyed = true;
      if (observer) observer.disconnect();
      interaction.destroy();
      renderer.destroy();
      toolbar.remove(); stage.remove();
      container.classList.remove("amn-map");
    },
  };
}

// ---------------------------------------------------------------------------------------
// anywidget adapter: traits in, user actions out

const TRAITS = {
  x: "x", y: "y", values: "values", color_mode: "colorMode", colormap: "colormap",
  categories: "categories", value_label: "valueLabel", labels: "labels",
  point_size: "pointSize", height: "height", mode: "mode",
  selected: "selected", focus: "focus", neighbors: "neighbors", highlighted: "highlighted",
  renderer: "renderer",
};
const HOVER_INTERVAL_MS = 100; // at most 10 hover updates per second to the kernel

function readTrait(model, trait) {
  const v = model.get(trait);
  if (trait === "x" || trait === "y" || trait === "values") return asFloat32(v);
  return v;
}

export default {
  render({ model, el }) {
    const data = {};
    for (const [trait, name] of Object.entries(TRAITS)) data[name] = readTrait(model, trait);
    let hoverTimer = null, hoverSentAt = -Infinity, hoverNext = -1;
    const sendHover = () => {
      hoverTimer = null; hoverSentAt = performance.now();
      if (model.get("hovered") !== hoverNext) { model.set("hovered", hoverNext); model.save_changes(); }
    };
    const view = createMapView(el, data, {
      onHover(i) {
        hoverNext = i;
        if (!hoverTimer) hoverTimer = setTimeout(sendHover, Math.max(0, hoverSentAt + HOVER_INTERVAL_MS - performance.now()));
      },
      // a message, not a trait change: trait updates queued while the kernel is busy are
      // merged, so a second click on the same point would be lost. Python sets `clicked`.
      onClick(i) { model.send({ event: "click", index: i }); },
      onSelect(indices) { model.set("selected", indices); model.save_changes(); },
      onModeChange(mode) { model.set("mode", mode); model.save_changes(); },
    });
    const pending = {};
    let queued = false;
    const flush = () => { queued = false; const d = { ...pending }; for (const k of Object.keys(pending)) delete pending[k]; view.update(d); };
    const handlers = Object.entries(TRAITS).map(([trait, name]) => {
      const fn = () => { pending[name] = readTrait(model, trait); if (!queued) { queued = true; queueMicrotask(flush); } };
      model.on(`change:${trait}`, fn);
      return [trait, fn];
    });
    // Thumbnails are not a synced trait: the kernel streams them as messages (one chunk of
    // at most 4 MB each) once this view says it is ready, i.e. after the map is drawn, so
    // that 100,000 points show at once and the cutouts arrive a few seconds later.
    let thumbs = { version: -1, chunks: [], size: 0, perChunk: 0, count: 0 };
    const onMessage = (msg, buffers) => {
      if (!msg || msg.event !== "thumbnails" || msg.version < thumbs.version) return;
      if (msg.version > thumbs.version) {
        thumbs = { version: msg.version, chunks: new Array(msg.count).fill(null), size: msg.size,
          perChunk: msg.per_chunk, count: msg.count };
      }
      if (msg.count && buffers && buffers.length) thumbs.chunks[msg.index] = asUint8(buffers[0]);
      view.update({ thumbnails: thumbs.chunks.slice(), thumbnailSize: thumbs.size,
        thumbnailsPerChunk: thumbs.perChunk });
      el.dataset.thumbnails = `${thumbs.chunks.filter(Boolean).length}/${thumbs.count}`;
    };
    model.on("msg:custom", onMessage);
    let ready = false;
    const sendReady = () => { if (!ready) { ready = true; model.send({ event: "ready" }); } };
    el.addEventListener("amn-map-drawn", sendReady, { once: true });
    const readyTimer = setTimeout(sendReady, data.x.length ? 5000 : 0); // e.g. a hidden tab
    el.__amnMap = view; // for tests and benchmarks in a real browser
    return () => {
      model.off("msg:custom", onMessage);
      el.removeEventListener("amn-map-drawn", sendReady);
      clearTimeout(readyTimer);
      for (const [trait, fn] of handlers) model.off(`change:${trait}`, fn);
      if (hoverTimer) clearTimeout(hoverTimer);
      view.destroy();
      delete el.__amnMap;
    };
  },
};
