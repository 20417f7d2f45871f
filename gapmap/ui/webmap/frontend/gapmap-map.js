/* gapmap's tract map: a Streamlit component (components v1 protocol) on a bundled Leaflet.
 *
 * The geometry comes by URL, once: the server writes a dataset's tract layer (polygons and the figures
 * that do not change with the analysis: names, children and their margins) as files next to this page,
 * named by a keyed hash of their content, and passes their URLs. A restyle (band, measure) passes only one
 * class (a character) and one value per tract, in the layer's order, and the legend; this page keeps the
 * layers and the view, and only repaints.
 *
 * Large extents: the layer index lists tiles (one per county) with their boxes. Below `min_zoom` the map
 * shows counties; from it, it fetches the tiles in view (each once) and shows their tracts.
 *
 * Every string from data reaches the page through textContent, never as HTML or script.
 */
(function () {
  "use strict";

  var stats = { geometryRequests: 0, renders: 0, restyles: 0, clicks: 0 };
  var state = {
    map: null, renderer: null, args: null, indexUrl: null, index: null, tiles: {}, countyLayer: null,
    providerUrl: null, providerGroups: [], layerControl: null, legend: null, status: null,
    selectedLayer: null, viewKey: null, styles: {}, reported: null, lastClick: null, base: null, features: {},
  };
  var cache = {};

  function post(type, data) {
    var message = { isStreamlitMessage: true, type: type };
    for (var k in data) { message[k] = data[k]; }
    window.parent.postMessage(message, "*");
  }

  function fetchJson(url) {
    if (!cache[url]) {
      stats.geometryRequests += 1;
      cache[url] = fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error("could not load the map layer (" + r.status + ")"); }
        return r.json();
      });
    }
    return cache[url];
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function formatNumber(value, digits) {
    if (value === null || value === undefined || !isFinite(value)) { return "-"; }
    return Number(value).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  }

  // ----- style -----

  // a tract's style comes from its tile's style (f.__k: the tile, f.__j: its place in the tile); a tile
  // whose style has not come yet (a split layer asks for the tiles in view) is drawn grey
  function classOf(f) {
    var a = state.args, ts = state.styles[f.__k];
    if (!ts) { return -1; }
    var code = ts.classes.charCodeAt(f.__j) - 48;
    return (code >= 0 && code < a.palette.length) ? code : a.palette.length - 1;
  }

  function tractStyle(f) {
    var c = classOf(f);
    return { fillColor: c < 0 ? "#eeeeee" : state.args.palette[c][0], color: "#555555", weight: 0.6, fillOpacity: 0.75, opacity: 1 };
  }

  function setStyles(a) {
    state.styles = {};
    (a.tile_styles || []).forEach(function (t) { state.styles[t[0]] = { classes: t[1], values: t[2] }; });
  }

  function countyStyle(i) {
    var c = state.args.counties;
    var code = c.classes.charCodeAt(i) - 48;
    var color = (code >= 0 && code < c.palette.length) ? c.palette[code][0] : "#d9d9d9";
    return { fillColor: color, color: "#333333", weight: 1.2, fillOpacity: 0.75, opacity: 1 };
  }

  function row(table, label, value) {
    var tr = el("tr");
    tr.appendChild(el("th", null, label));
    tr.appendChild(el("td", null, value));
    table.appendChild(tr);
  }

  function measureText(f) {
    var a = state.args, m = a.measure, c = classOf(f);
    if (c < 0) { return "..."; }
    if (m.kind === "number") {
      var v = state.styles[f.__k].values[f.__j];
      return v === null ? "no data" : formatNumber(v, m.digits) + (m.suffix || "");
    }
    return a.palette[c][1];
  }

  function tractTip(f) {
    var p = f.properties;
    var a = state.args, b = a.band_index;
    var box = el("div", "gapmap-tip");
    box.appendChild(el("div", "gapmap-tip-title", p.n ? p.n : "Tract " + p.g));
    var table = el("table");
    row(table, "GEOID", p.g);
    row(table, "County", p.c);
    var kids = formatNumber(p.k[b], 0);
    if (p.m && p.m[b] !== null) { kids += " \u00b1 " + formatNumber(p.m[b], 0); }
    row(table, "Children " + a.band_label, kids);
    if (p.r && p.r[b]) { row(table, "Estimate reliability", p.r[b]); }
    row(table, a.measure.label, measureText(f));
    box.appendChild(table);
    return box;
  }

  function countyTip(p) {
    var c = state.args.counties;
    var box = el("div", "gapmap-tip");
    box.appendChild(el("div", "gapmap-tip-title", p.n));
    var table = el("table");
    row(table, "Tracts", formatNumber(p.t, 0));
    var v = c.values[p.i];
    row(table, c.label, v === null ? "no data" : formatNumber(v, c.digits) + (c.suffix || ""));
    box.appendChild(table);
    box.appendChild(el("div", "gapmap-note", "Zoom in to see its tracts."));
    return box;
  }

  // ----- layers -----

  function addTile(url, k, fc) {
    fc.features.forEach(function (f, j) { f.__k = k; f.__j = j; });
    var layer = L.geoJSON(fc, {
      renderer: state.renderer,
      style: tractStyle,
      onEachFeature: function (f, lyr) {
        state.features[f.properties.g] = f;
        lyr.bindTooltip(function () { return tractTip(f); }, { sticky: true });
        lyr.on("mouseover", function () { lyr.setStyle({ weight: 2.5, color: "#000000" }); });
        lyr.on("mouseout", function () { lyr.setStyle(tractStyle(f)); });
        lyr.on("click", function () {
          stats.clicks += 1;
          state.lastClick = { geoid: f.properties.g, click: Date.now() + "-" + stats.clicks };
          report();
        });
      },
    });
    state.tiles[url] = layer;
    return layer;
  }

  function restyleTracts() {
    Object.keys(state.tiles).forEach(function (url) {
      state.tiles[url].eachLayer(function (lyr) { lyr.setStyle(tractStyle(lyr.feature)); });
    });
    if (state.countyLayer && state.args.counties) {
      state.countyLayer.eachLayer(function (lyr) { lyr.setStyle(countyStyle(lyr.feature.properties.i)); });
    }
  }

  function intersects(t, b) {
    return !(t[3] < b.getWest() || t[1] > b.getEast() || t[4] < b.getSouth() || t[2] > b.getNorth());
  }

  function showStatus(text) {
    if (!state.status) { return; }
    state.status.getContainer().textContent = text || "";
    state.status.getContainer().style.display = text ? "" : "none";
  }

  function markDrawn() {
    remember();
    document.body.dataset.drawnAt = String(performance.timeOrigin + performance.now());
    document.body.dataset.drawn = String(stats.renders);
    document.body.dataset.tracts = String(Object.keys(state.features).length);
  }

  function updateExtent() {
    var idx = state.index;
    if (!idx) { return Promise.resolve(); }
    var zoomedOut = idx.min_zoom !== null && state.map.getZoom() < idx.min_zoom;
    if (state.countyLayer) {
      var was = state.map.hasLayer(state.countyLayer);
      if (zoomedOut) { state.countyLayer.addTo(state.map); } else { state.countyLayer.remove(); }
      if (was !== zoomedOut) { setLegend(); }
    }
    var bounds = state.map.getBounds();
    var wanted = [];
    idx.tiles.forEach(function (t, k) {
      if (!zoomedOut && (idx.min_zoom === null || intersects(t, bounds))) { wanted.push([t[0], k]); }
    });
    if (idx.min_zoom !== null) {  // a split layer: tell the server which tiles to style
      var shown = wanted.map(function (w) { return w[1]; });
      if (JSON.stringify(shown) !== JSON.stringify(state.reported)) { state.reported = shown; report(); }
    }
    var keep = {};
    wanted.forEach(function (w) { keep[w[0]] = true; });
    Object.keys(state.tiles).forEach(function (url) {
      if (!keep[url]) { state.tiles[url].remove(); }
    });
    showStatus(zoomedOut ? "Counties: zoom in to see tracts" : "");
    var loads = wanted.map(function (w) {
      var url = w[0];
      if (state.tiles[url]) { state.tiles[url].addTo(state.map); return Promise.resolve(); }
      return fetchJson(url).then(function (fc) {
        var layer = state.tiles[url] || addTile(url, w[1], fc);
        if (keep[url] && state.index === idx) { layer.addTo(state.map); }
      });
    });
    return Promise.all(loads).then(drawSelected);
  }

  function loadIndex(url) {
    state.indexUrl = url;
    state.reported = null;
    Object.keys(state.tiles).forEach(function (u) { state.tiles[u].remove(); });
    state.tiles = {};
    state.features = {};
    if (state.countyLayer) { state.countyLayer.remove(); state.countyLayer = null; }
    // a small index comes with the render (one round trip less); a large one is fetched
    var got = (state.args.index_data && state.args.index === url) ? Promise.resolve(state.args.index_data) : fetchJson(url);
    return got.then(function (idx) {
      if (state.indexUrl !== url) { return null; }
      // file names in the index are relative to the index itself
      var base = new URL(url, document.baseURI);
      idx = { tiles: idx.tiles.map(function (t) { return [new URL(t[0], base).href, t[1], t[2], t[3], t[4]]; }),
              min_zoom: idx.min_zoom, counties: idx.counties ? new URL(idx.counties, base).href : null, count: idx.count };
      state.index = idx;
      if (!idx.counties) { return idx; }
      return fetchJson(idx.counties).then(function (fc) {
        state.countyLayer = L.geoJSON(fc, {
          renderer: state.renderer,
          style: function (f) { return countyStyle(f.properties.i); },
          onEachFeature: function (f, lyr) {
            lyr.bindTooltip(function () { return countyTip(f.properties); }, { sticky: true });
            lyr.on("click", function () { state.map.fitBounds(lyr.getBounds()); });
          },
        });
        return idx;
      });
    });
  }

  function drawSelected() {
    if (state.selectedLayer) { state.selectedLayer.remove(); state.selectedLayer = null; }
    var g = state.args && state.args.selected;
    var f = g ? state.features[g] : null;
    if (f) {
      state.selectedLayer = L.geoJSON(f, {
        renderer: state.renderer, interactive: false,
        style: function () { return { fill: false, color: "#000000", weight: 4, dashArray: "6 4" }; },
      }).addTo(state.map);
    }
    raiseProviders();
  }

  function raiseProviders() {
    // providers above the tracts and the outline, whatever arrived first
    state.providerGroups.forEach(function (g) {
      if (state.map.hasLayer(g)) { g.eachLayer(function (m) { m.bringToFront(); }); }
    });
  }

  function setProviders(url, types) {
    if (url === state.providerUrl) { return Promise.resolve(); }
    state.providerUrl = url;
    state.providerGroups.forEach(function (g) { g.remove(); });
    state.providerGroups = [];
    if (state.layerControl) { state.layerControl.remove(); state.layerControl = null; }
    if (!url) { return Promise.resolve(); }
    return fetchJson(url).then(function (data) {
      if (state.providerUrl !== url) { return; }
      var groups = types.map(function () { return []; });
      data.p.forEach(function (p) {
        // [lon, lat, capacity, type index, name, slots 0-2, slots 3-5]
        var t = types[p[3]];
        var marker = L.circleMarker([p[1], p[0]], {
          renderer: state.renderer, radius: 3 + 0.6 * Math.sqrt(p[2]), fillColor: t.color,
          color: "#222222", weight: 1, fillOpacity: 0.9,
        });
        marker.bindTooltip(function () {
          var box = el("div", "gapmap-tip");
          box.appendChild(el("div", "gapmap-tip-title", p[4]));
          var table = el("table");
          row(table, "Type", t.label);
          row(table, "Licensed capacity", formatNumber(p[2], 0));
          row(table, "Slots ages 0-2", formatNumber(p[5], 0));
          row(table, "Slots ages 3-5", formatNumber(p[6], 0));
          box.appendChild(table);
          return box;
        });
        groups[p[3]].push(marker);
      });
      state.layerControl = L.control.layers(null, null, { position: "topright", collapsed: true });
      groups.forEach(function (markers, k) {
        if (!markers.length) { return; }
        var group = L.layerGroup(markers).addTo(state.map);
        state.providerGroups.push(group);
        // the label is built from a fixed label and a count, set as text
        var label = el("span", null, types[k].label + " (" + formatNumber(markers.length, 0) + ")");
        state.layerControl.addOverlay(group, label.outerHTML);
      });
      state.layerControl.addTo(state.map);
    });
  }

  // the component's value: the last click (acted on once) and, for a split layer, the tiles in view
  function report() {
    var value = { tiles: state.reported || [] };
    if (state.lastClick) { value.geoid = state.lastClick.geoid; value.click = state.lastClick.click; }
    post("streamlit:setComponentValue", { value: value, dataType: "json" });
  }

  function countiesOnMap() {
    return !!(state.countyLayer && state.map && state.map.hasLayer(state.countyLayer) && state.args.counties);
  }

  function legendBody() {
    var a = state.args, lg = a.legend;
    if (countiesOnMap()) {  // zoomed out on a split layer: the counties' own legend
      lg = { title: a.counties.title, entries: a.counties.legend, folded: lg.folded, providers: lg.providers, note: lg.note };
    }
    var box = el("details", "gapmap-legend");
    if (!lg.folded) { box.open = true; }
    var summary = el("summary", null, lg.title);
    summary.title = "Click to fold the legend away";
    box.appendChild(summary);
    lg.entries.forEach(function (e) {
      var line = el("div");
      var sw = el("span", "gapmap-swatch");
      sw.style.background = e[0];
      line.appendChild(sw);
      line.appendChild(document.createTextNode(e[1]));
      box.appendChild(line);
    });
    if (lg.providers && lg.providers.length) {
      box.appendChild(el("div", null, "Providers (size = capacity)")).style.fontWeight = "600";
      lg.providers.forEach(function (t) {
        var line = el("div");
        var dot = el("span", "gapmap-dot");
        dot.style.background = t.color;
        line.appendChild(dot);
        line.appendChild(document.createTextNode(t.label));
        box.appendChild(line);
      });
    }
    if (lg.note) { box.appendChild(el("div", "gapmap-note", lg.note)); }
    return box;
  }

  function setLegend() {
    var container = state.legend.getContainer();
    var wasOpen = container.firstChild ? container.firstChild.open : null;
    container.textContent = "";
    var body = legendBody();
    if (wasOpen !== null && state.legendKey === state.args.legend.folded) { body.open = wasOpen; }
    state.legendKey = state.args.legend.folded;
    container.appendChild(body);
  }

  function fit(view) {
    var b = view.bounds;
    var room = state.args.legend.folded ? [10, state.args.folded_room] : [state.args.legend_room, 10];
    state.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { paddingTopLeft: [10, 10], paddingBottomRight: room, animate: false });
  }

  function createMap(a) {
    state.map = L.map("map", { zoomSnap: 0.25, scrollWheelZoom: false, preferCanvas: true });
    // one canvas for everything, so the pointer reaches every layer (a canvas above another takes all
    // its events); what is drawn last is on top: tracts, then the selected outline, then providers
    state.renderer = L.canvas({ padding: 0.5, tolerance: 2 });
    L.control.scale().addTo(state.map);
    if (a.tiles) {
      state.base = L.tileLayer(a.tiles.url, { attribution: "", maxZoom: 19 });
      state.base.getAttribution = function () { return null; };
      state.base.addTo(state.map);
      // the attribution is fixed text from the server's configuration, set as text
      state.map.attributionControl.setPrefix(false);
      var credit = el("span", null, a.tiles.attribution);
      state.map.attributionControl.addAttribution(credit.outerHTML);
    }
    var Legend = L.Control.extend({ onAdd: function () { var d = el("div"); L.DomEvent.disableClickPropagation(d); return d; } });
    state.legend = new Legend({ position: "bottomright" }).addTo(state.map);
    var Status = L.Control.extend({ onAdd: function () { return el("div", "gapmap-status"); } });
    state.status = new Status({ position: "topleft" }).addTo(state.map);
    showStatus("");
    // a move may bring tracts into view; "drawn" is said only once a render has finished
    state.map.on("moveend", function () { updateExtent().then(function () { if (!state.rendering) { markDrawn(); } }); });
  }

  function render(a) {
    stats.renders += 1;
    state.rendering = a;
    var first = !state.map;
    var restyle = !first && state.args && state.args.index === a.index;
    state.args = a;
    setStyles(a);
    document.getElementById("map").style.height = a.height + "px";
    post("streamlit:setFrameHeight", { height: a.height });
    if (first) { createMap(a); }
    setLegend();
    var ready = (state.indexUrl === a.index) ? Promise.resolve() : loadIndex(a.index);
    // the view moves only when asked (a place chosen, "Reset view") or for a new layer; a restyle keeps it
    var viewKey = JSON.stringify(a.view);
    var viewChanged = first || viewKey !== state.viewKey || !restyle;
    state.viewKey = viewKey;
    return ready.then(function () {
      if (state.args !== a) { return; }
      if (viewChanged) { fit(a.view); }
      if (restyle) { stats.restyles += 1; restyleTracts(); }
      return Promise.all([updateExtent(), setProviders(a.providers, a.provider_types)]);
    }).then(function () {
      if (state.args === a) { state.rendering = null; drawSelected(); markDrawn(); }
    }).catch(function (err) {
      if (state.args === a) { state.rendering = null; }
      showStatus(String(err && err.message ? err.message : err));
    });
  }

  window.gapmap = {
    stats: stats,
    fillOf: function (geoid) {
      var f = state.features[geoid];
      if (!f) { return null; }
      var c = classOf(f);
      return c < 0 ? null : state.args.palette[c][0];
    },
    // the box (in this frame's pixels) around every tract drawn, and the legend's box
    tractsBox: function () {
      var b = null;
      Object.keys(state.tiles).forEach(function (u) {
        if (state.map.hasLayer(state.tiles[u])) { b = b ? b.extend(state.tiles[u].getBounds()) : L.latLngBounds(state.tiles[u].getBounds()); }
      });
      if (!b) { return null; }
      var nw = state.map.latLngToContainerPoint(b.getNorthWest()), se = state.map.latLngToContainerPoint(b.getSouthEast());
      return { left: nw.x, top: nw.y, right: se.x, bottom: se.y };
    },
    legendBox: function () {
      var r = state.legend.getContainer().getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    },
    pointOf: function (geoid) {
      var f = state.features[geoid];
      if (!f) { return null; }
      var c = L.geoJSON(f).getBounds().getCenter();
      var p = state.map.latLngToContainerPoint(c);
      return { x: p.x, y: p.y };
    },
    providersShown: function () {
      return state.providerGroups.reduce(function (n, g) { return n + (state.map.hasLayer(g) ? g.getLayers().length : 0); }, 0);
    },
    countiesShown: function () {
      return state.countyLayer && state.map.hasLayer(state.countyLayer) ? state.countyLayer.getLayers().length : 0;
    },
    bandLabel: function () { return state.args ? state.args.band_label : null; },
    map: function () { return state.map; },
  };

  // A new page of the same browser most often draws the layer it drew last: start fetching (and
  // parsing) its files now, while Streamlit sends the render. Only addresses are remembered, no data.
  var REMEMBER = "gapmap.lastTiles";
  function remember() {
    try {
      var urls = Object.keys(state.tiles).slice(0, 4);
      if (urls.length) { window.localStorage.setItem(REMEMBER, JSON.stringify(urls)); }
    } catch (e) { /* storage refused: nothing to remember */ }
  }
  try {
    JSON.parse(window.localStorage.getItem(REMEMBER) || "[]").slice(0, 4).forEach(function (u) {
      if (typeof u === "string" && u.indexOf(new URL("geo/", document.baseURI).href) === 0) {
        fetchJson(u).catch(function () { delete cache[u]; });  // a file of an earlier server: not there any more
      }
    });
  } catch (e) { /* nothing remembered */ }

  window.addEventListener("message", function (event) {
    var d = event.data;
    if (d && d.type === "streamlit:render") { render(d.args); }
  });
  post("streamlit:componentReady", { apiVersion: 1 });
})();
