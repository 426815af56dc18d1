// The offline lägesbild: opens a PMTiles archive written by `lagesbild export --format pmtiles`
// from the user's disk (file input or drag and drop) and draws it with MapLibre, labelled with
// the export's scope, date and period from the archive's metadata. It is a classic script, not
// an ES module, because browsers refuse modules and module workers on pages opened from file://
// (a USB stick); it requests nothing from any server.
(function () {
  'use strict';
  var protocol = new pmtiles.Protocol();
  maplibregl.addProtocol('pmtiles', protocol.tile);
  var map = null;
  var $ = function (id) { return document.getElementById(id); };

  function fail(msg) {
    $('error').textContent = msg;
    $('error').hidden = false;
    document.body.dataset.state = 'error';
  }

  function dateTime(s) {
    var d = new Date(s);
    if (isNaN(d)) return s || '–';
    return d.toLocaleString('sv-SE', { timeZone: 'Europe/Stockholm', dateStyle: 'long', timeStyle: 'short' });
  }

  // The layers of the export, drawn without labels (no glyphs are needed offline).
  // credits turns the archive's attribution (one "Källa: …" per layer, joined with "; ") into
  // one line: the sources once each after a single "Källa:", then the other notes.
  function credits(text) {
    var sources = [];
    var notes = [];
    String(text || '').split(';').forEach(function (part) {
      part = part.trim();
      if (!part) return;
      var m = /^Källa:\s*(.*)$/.exec(part);
      if (!m) {
        if (notes.indexOf(part) < 0) notes.push(part);
        return;
      }
      m[1].split(',').forEach(function (src) {
        src = src.trim();
        if (src && sources.indexOf(src) < 0) sources.push(src);
      });
    });
    return (sources.length ? ['Källa: ' + sources.join(', ')] : []).concat(notes).join('; ');
  }

  function style(url, header, layers) {
    var has = function (id) { return layers.indexOf(id) >= 0; };
    var src = { type: 'vector', tiles: [url + '/{z}/{x}/{y}'], minzoom: header.minZoom, maxzoom: header.maxZoom,
      bounds: [header.minLon, header.minLat, header.maxLon, header.maxLat] };
    var out = [{ id: 'bakgrund', type: 'background', paint: { 'background-color': '#f4f3ef' } }];
    if (has('h3')) {
      out.push({ id: 'h3', type: 'fill', source: 'x', 'source-layer': 'h3', paint: {
        'fill-color': ['case', ['==', ['get', 'suppressed'], true], '#bdbdbd',
          ['interpolate', ['linear'], ['coalesce', ['get', 'total'], 0], 0, '#d1e5f0', 20, '#67a9cf', 100, '#2166ac']],
        'fill-opacity': 0.55 } });
    }
    if (has('omraden')) {
      out.push({ id: 'omraden', type: 'fill', source: 'x', 'source-layer': 'omraden', paint: {
        'fill-color': ['match', ['get', 'class'], 'sarskilt_utsatt', '#b2182b', 'risk', '#ef8a62', '#fddbc7'], 'fill-opacity': 0.6 } });
      out.push({ id: 'omraden-kant', type: 'line', source: 'x', 'source-layer': 'omraden', paint: { 'line-color': '#67001f', 'line-width': 1.5 } });
    }
    [['kommuner', '#888', 0.8], ['lan', '#555', 1.2], ['polisregioner', '#222', 1.8]].forEach(function (b) {
      if (has(b[0])) out.push({ id: b[0], type: 'line', source: 'x', 'source-layer': b[0], paint: { 'line-color': b[1], 'line-width': b[2] } });
    });
    if (has('narvaro')) {
      out.push({ id: 'narvaro-insatser', type: 'line', source: 'x', 'source-layer': 'narvaro', filter: ['==', ['get', 'kind'], 'operation'],
        paint: { 'line-color': '#1b7837', 'line-width': 2, 'line-dasharray': [2, 1] } });
      out.push({ id: 'narvaro-kontor', type: 'circle', source: 'x', 'source-layer': 'narvaro', filter: ['==', ['get', 'kind'], 'office'],
        paint: { 'circle-color': '#1b7837', 'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } });
    }
    return { version: 8, sources: { x: src }, layers: out };
  }

  function open(file) {
    $('error').hidden = true;
    $('file-name').textContent = file.name;
    document.body.dataset.state = 'loading';
    var archive = new pmtiles.PMTiles(new pmtiles.FileSource(file));
    Promise.all([archive.getHeader(), archive.getMetadata()]).then(function (r) {
      var header = r[0], meta = r[1] || {};
      var m = meta.lagesbild;
      if (!m) throw new Error('Filen är inte en export från Lägesbild (metadata saknas).');
      protocol.add(archive);
      $('scope').textContent = (m.scope_label || m.scope) + ' (' + m.scope + ')';
      $('exported').textContent = dateTime(m.exported_at);
      $('period').textContent = (m.period_from || 'början') + ' – ' + (m.period_to || 'slutet');
      $('set').textContent = 'Utsatta områden ' + m.set;
      $('version').textContent = String(m.data_version);
      $('synthetic').hidden = !m.synthetic;
      $('info').hidden = false;
      document.title = 'Lägesbild offline – ' + (m.scope_label || m.scope);
      var layers = (meta.vector_layers || []).map(function (l) { return l.id; });
      if (map) map.remove();
      map = new maplibregl.Map({ container: 'map', style: style('pmtiles://' + file.name, header, layers),
        bounds: [[header.minLon, header.minLat], [header.maxLon, header.maxLat]], fitBoundsOptions: { padding: 20 },
        attributionControl: { customAttribution: credits(meta.attribution) } });
      map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
      window.offlineMap = map; // for the browser test (web/test/offline.mjs)
      map.once('idle', function () {
        window.offlineFeatures = map.queryRenderedFeatures().length;
        document.body.dataset.state = 'rendered';
      });
    }).catch(function (e) { fail('Filen kunde inte öppnas: ' + e.message); });
  }

  $('file').addEventListener('change', function (e) { if (e.target.files[0]) open(e.target.files[0]); });
  var drop = $('drop');
  drop.addEventListener('dragover', function (e) { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', function () { drop.classList.remove('over'); });
  drop.addEventListener('drop', function (e) {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files[0]) open(e.dataTransfer.files[0]);
  });
})();
