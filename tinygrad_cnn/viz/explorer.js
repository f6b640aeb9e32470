// The backprop explorer: click a node for its details; step through backward from the loss.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("explorer-data").textContent);
  var NODES = DATA.nodes, ORDER = DATA.order;
  var details = document.getElementById("details");
  var status = document.getElementById("step-status");
  var prevButton = document.getElementById("step-prev");
  var nextButton = document.getElementById("step-next");
  var sampleSelect = document.getElementById("sample");
  var step = 0;              // steps done: 0 = before backward, k = ORDER[k - 1] is current
  var shown = null;          // key of the node in the details panel
  var sample = DATA.sample;
  var cache = {};

  function svgNode(key) { return document.getElementById("n_" + key); }

  // -- arrays: {shape, b64} of little-endian float32 ----------------------------------------
  function floats(arr) {
    if (!cache[arr.b64]) {
      var bin = atob(arr.b64), bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      cache[arr.b64] = new Float32Array(bytes.buffer);
    }
    return cache[arr.b64];
  }
  function product(dims) { return dims.reduce(function (a, b) { return a * b; }, 1); }
  function rowOf(arr, index) {      // arr's sub-array along the first axis
    var size = product(arr.shape.slice(1));
    return { shape: arr.shape.slice(1), values: floats(arr).subarray(index * size, (index + 1) * size) };
  }
  function dimsText(dims) { return dims.join(" × "); }
  function whole(arr) { return { shape: arr.shape, values: floats(arr) }; }
  function absMax(values) {
    var m = 0;
    for (var i = 0; i < values.length; i++) { var a = Math.abs(values[i]); if (a > m) m = a; }
    return m || 1;
  }

  // -- colours: blue (−limit) · white (0) · red (+limit) -------------------------------------
  var NEG = [33, 102, 172], POS = [178, 24, 43];
  function colour(v, limit) {
    var t = Math.max(-1, Math.min(1, v / limit)), end = t < 0 ? NEG : POS, a = Math.abs(t);
    return [255 + (end[0] - 255) * a, 255 + (end[1] - 255) * a, 255 + (end[2] - 255) * a];
  }
  function heat(values, offset, h, w, limit, px) {
    var canvas = document.createElement("canvas");
    canvas.width = w; canvas.height = h;
    canvas.style.width = (w * px) + "px"; canvas.style.height = (h * px) + "px";
    var ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h);
    for (var i = 0; i < h * w; i++) {
      var c = colour(values[offset + i], limit);
      img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    return canvas;
  }
  function fmt(x) {            // as Python's f"{x:.4g}": 0.0282, 1.5, 9.361e-05
    if (x === null || x === undefined) return "–";
    if (x === 0 || !isFinite(x)) return String(x);
    var parts = x.toExponential(3).split("e"), exp = parseInt(parts[1], 10);
    if (exp < -4 || exp >= 4) {
      var mantissa = parts[0].replace(/\.?0+$/, "");
      return mantissa + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
    return x.toFixed(3 - exp).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
  }
  function colourbar(limit) {
    var box = document.createElement("div"), canvas = document.createElement("canvas");
    box.className = "colourbar";
    canvas.width = 1; canvas.height = 90;
    var ctx = canvas.getContext("2d"), img = ctx.createImageData(1, 90);
    for (var i = 0; i < 90; i++) {
      var c = colour(limit * (1 - 2 * i / 89), limit);
      img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    box.appendChild(text("span", "+" + fmt(limit)));
    box.appendChild(canvas);
    box.appendChild(text("span", "−" + fmt(limit)));
    return box;
  }
  function text(tag, content, cls) {
    var el = document.createElement(tag);
    el.textContent = content;
    if (cls) el.className = cls;
    return el;
  }
  function figure(canvas, caption) {
    var fig = document.createElement("figure");
    fig.className = "map";
    fig.appendChild(canvas);
    fig.appendChild(text("figcaption", caption));
    return fig;
  }
  function pixelSize(h, w, target) { return Math.max(1, Math.min(14, Math.floor(target / Math.max(h, w)))); }

  // One block of pictures: every channel of a (C, H, W) map, a (F,) vector, or a parameter,
  // all on one symmetric colour scale with its colour bar.
  function block(title, a, what) {
    var wrap = document.createElement("div"), maps = document.createElement("div");
    maps.className = "maps";
    var limit = absMax(a.values), dims = a.shape, h, w, px, i;
    wrap.appendChild(text("h3", title));
    if (dims.length === 3) {                                  // channels of maps
      h = dims[1]; w = dims[2]; px = pixelSize(h, w, 72);
      for (i = 0; i < dims[0]; i++) maps.appendChild(figure(heat(a.values, i * h * w, h, w, limit, px), what + " ch " + i));
    } else if (dims.length === 4) {                           // conv weights (O, C, kH, kW)
      h = dims[2]; w = dims[3]; px = pixelSize(h, w, dims[0] * dims[1] > 24 ? 22 : 44);
      var grid = document.createElement("div");            // rows: input channel c, columns: filter o
      grid.className = "kernels";
      grid.style.gridTemplateColumns = "max-content repeat(" + dims[0] + ", max-content)";
      grid.appendChild(text("span", "c \\ o"));
      for (var o = 0; o < dims[0]; o++) grid.appendChild(text("span", String(o)));
      for (var c = 0; c < dims[1]; c++) {
        grid.appendChild(text("span", String(c)));
        for (o = 0; o < dims[0]; o++) grid.appendChild(heat(a.values, (o * dims[1] + c) * h * w, h, w, limit, px));
      }
      maps.appendChild(figure(grid, dims[0] + " filters (columns) × " + dims[1] + " input channels (rows), " + h + "×" + w));
    } else {                                                  // vectors and matrices
      var n = product(dims);
      w = dims.length === 2 ? dims[1] : Math.min(n, 50);
      h = Math.ceil(n / w);
      px = Math.max(1, Math.min(12, Math.floor(420 / w)));
      var padded = a.values;
      if (h * w !== n) { padded = new Float32Array(h * w); padded.set(a.values); }
      maps.appendChild(figure(heat(padded, 0, h, w, limit, px),
        dims.length === 2 ? dims[0] + " × " + dims[1] : n + " values, " + w + " per row"));
    }
    maps.appendChild(colourbar(limit));
    wrap.appendChild(maps);
    wrap.appendChild(text("p", "one symmetric colour scale for all " + (dims.length === 3 ? dims[0] + " channels" : "entries") +
      ": blue < 0 < red, |max| = " + fmt(limit), "scale-note"));
    return wrap;
  }

  function row(dl, term, value) {
    dl.appendChild(text("dt", term));
    dl.appendChild(text("dd", value === "" || value === null || value === undefined ? "–" : String(value)));
  }

  function showDetails(key) {
    var n = NODES[key];
    if (!n) return;
    shown = key;
    document.querySelectorAll("#graph g.node.selected").forEach(function (g) { g.classList.remove("selected"); });
    var g = svgNode(key);
    if (g) g.classList.add("selected");
    details.textContent = "";
    var dl = document.createElement("dl");
    if (n.kind === "op") {
      details.appendChild(text("h2", n.op + (n.module ? "  ·  " + n.module : "")));
      row(dl, "op", n.op);
      row(dl, "attributes", n.attrs);
      n.inputs.forEach(function (x, i) { row(dl, "input " + i, x.name + " " + x.shape); });
      row(dl, "output", n.output + " " + n.dtype);
      if (n.value !== null) row(dl, "value", fmt(n.value));
      row(dl, "‖δ‖", n.grad_norm === null ? "backward has not reached it" : fmt(n.grad_norm));
      details.appendChild(dl);
      details.appendChild(text("h3", "VJP formula (δ = ∂E/∂output)"));
      details.appendChild(text("pre", n.formula || "(no formula: backward has no docstring)", "formula"));
      if (n.out) details.appendChild(block("output of sample " + sample + " (" + dimsText(n.out.shape.slice(1)) + ")", rowOf(n.out, sample), "out"));
      if (n.delta) details.appendChild(block("δ = ∂E/∂output of sample " + sample + " (" + dimsText(n.delta.shape.slice(1)) + ")", rowOf(n.delta, sample), "δ"));
      else if (n.out) details.appendChild(text("p", DATA.note || "no δ recorded for this node", "scale-note"));
      if (!n.out && n.output !== "()") details.appendChild(text("p", "no per-sample pictures for this node (not batch-shaped)", "scale-note"));
    } else {
      details.appendChild(text("h2", n.name));
      row(dl, "kind", n.kind === "param" ? "parameter (requires grad)" : "input / constant");
      row(dl, "shape", n.shape + " " + n.dtype);
      if (n.value !== null) row(dl, "value", n.value);
      if (n.labels) row(dl, "label of sample " + sample, n.labels[sample]);
      if (n.kind === "param") row(dl, "‖grad‖", n.grad_norm === null ? "no grad yet" : fmt(n.grad_norm));
      details.appendChild(dl);
      if (n.note) details.appendChild(text("p", n.note, "scale-note"));
      if (n.weight) details.appendChild(block("weights", whole(n.weight), "w"));
      if (n.grad) details.appendChild(block("gradient ∂E/∂" + n.name, whole(n.grad), "grad"));
      if (n.out) details.appendChild(block("sample " + sample + " (" + dimsText(n.out.shape.slice(1)) + ")", rowOf(n.out, sample), "in"));
    }
  }

  // -- stepping through backward -------------------------------------------------------------
  function setStep(k) {
    step = Math.max(0, Math.min(ORDER.length, k));
    document.querySelectorAll("#graph .current").forEach(function (g) { g.classList.remove("current"); });
    document.querySelectorAll("#graph .visited").forEach(function (g) { g.classList.remove("visited"); });
    document.querySelectorAll("#graph g.edge.traversed").forEach(function (e) { e.classList.remove("traversed"); });
    for (var i = 0; i < step; i++) {
      var key = ORDER[i], g = svgNode(key);
      if (g) g.classList.add(i === step - 1 ? "current" : "visited");
      NODES[key].delta_edges.forEach(function (id) {
        var edge = document.getElementById(id);
        if (edge) edge.classList.add("traversed");
      });
    }
    prevButton.disabled = step === 0;
    nextButton.disabled = step === ORDER.length;
    if (step === 0) {
      status.textContent = "before backward: press next to start at the loss";
      return;
    }
    var n = NODES[ORDER[step - 1]];
    status.textContent = "step " + step + " of " + ORDER.length + ": " + n.op +
      (n.module ? " (" + n.module + ")" : "") + " sends δ to " + n.delta_edges.length + " input(s)";
    showDetails(ORDER[step - 1]);
    var current = svgNode(ORDER[step - 1]);
    if (current && current.scrollIntoView) current.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  document.querySelectorAll("#graph g.node[data-node]").forEach(function (g) {
    g.addEventListener("click", function () { showDetails(g.getAttribute("data-node")); });
    g.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); showDetails(g.getAttribute("data-node")); }
    });
  });
  nextButton.addEventListener("click", function () { setStep(step + 1); });
  prevButton.addEventListener("click", function () { setStep(step - 1); });
  document.addEventListener("keydown", function (e) {
    if (e.target && e.target.tagName === "SELECT") return;
    if (e.key === "ArrowRight") setStep(step + 1);
    if (e.key === "ArrowLeft") setStep(step - 1);
  });
  sampleSelect.addEventListener("change", function () {
    sample = parseInt(sampleSelect.value, 10);
    if (shown) showDetails(shown);
  });
  setStep(0);
})();
