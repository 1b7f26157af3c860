// The HTML report's page script: zoom, search, hover and the detail panel.
// src/report/page.ts inlines it into the page's last <script>; it reads the
// report-data JSON and the ids html.ts writes. A plain script, no modules.

(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var svg = document.getElementById('graph');
  var canvas = document.getElementById('canvas');
  var panel = document.getElementById('panel');
  var panelBody = document.getElementById('panel-body');
  var panelTitle = document.getElementById('panel-title');
  var status = document.getElementById('status');
  var scales = new WeakMap();
  // Zoom acts on the drawing in view: the panel's when it is open.
  function current() {
    return (!panel.hidden && panelBody.querySelector('svg')) || svg;
  }
  function zoom(s, target) {
    var g = target || current();
    var v = Math.max(0.05, Math.min(4, s));
    scales.set(g, v);
    g.setAttribute('width', Math.round(+g.getAttribute('data-w') * v));
    g.setAttribute('height', Math.round(+g.getAttribute('data-h') * v));
    status.textContent = Math.round(v * 100) + '%';
  }
  function scale() {
    return scales.get(current()) || 1;
  }
  function fit() {
    var g = current(),
      box = g === svg ? canvas : panelBody;
    var w = box.clientWidth - 26,
      h = box.clientHeight - 26;
    zoom(Math.min(1, w / +g.getAttribute('data-w'), h / +g.getAttribute('data-h')));
  }
  document.getElementById('zoom-in').onclick = function () {
    zoom(scale() * 1.25);
  };
  document.getElementById('zoom-out').onclick = function () {
    zoom(scale() / 1.25);
  };
  document.getElementById('zoom-fit').onclick = fit;
  document.getElementById('zoom-1').onclick = function () {
    zoom(1);
  };

  function edgesOf(root, id, on) {
    var list = root.querySelectorAll('path.edge[data-from="' + id + '"], path.edge[data-to="' + id + '"]');
    for (var i = 0; i < list.length; i++) list[i].classList.toggle('hl', on);
  }
  function hover(root) {
    root.addEventListener('mouseover', function (e) {
      var b = e.target.closest && e.target.closest('.box');
      if (b) edgesOf(root, b.id, true);
    });
    root.addEventListener('mouseout', function (e) {
      var b = e.target.closest && e.target.closest('.box');
      if (b) edgesOf(root, b.id, false);
    });
  }
  hover(svg);

  function open(boxId, member) {
    var box = document.getElementById(boxId);
    var tpl = box && document.getElementById(box.getAttribute('data-detail') || '');
    if (!tpl) return false;
    panelBody.textContent = '';
    panelBody.appendChild(tpl.content.cloneNode(true));
    panelTitle.textContent = box.getAttribute('data-key');
    panel.hidden = false;
    var sub = panelBody.querySelector('svg');
    if (sub) hover(sub);
    if (member) {
      var m = document.getElementById(member);
      if (m) {
        m.classList.add('found');
        m.scrollIntoView({ block: 'center', inline: 'center' });
      }
    }
    return true;
  }
  function close() {
    panel.hidden = true;
    panelBody.textContent = '';
  }
  document.getElementById('panel-close').onclick = close;
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') close();
  });
  svg.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('.box');
    if (b) open(b.id);
  });
  var links = document.querySelectorAll('#legend a[data-open]');
  for (var i = 0; i < links.length; i++) {
    links[i].addEventListener('click', function (e) {
      e.preventDefault();
      var id = this.getAttribute('data-open');
      document.getElementById(id).scrollIntoView({ block: 'center', inline: 'center' });
      open(id);
    });
  }

  var found = null;
  function find(name) {
    var hit = data.nodes[name];
    if (!hit) {
      var names = Object.keys(data.nodes),
        q = name.toLowerCase();
      for (var i = 0; i < names.length; i++)
        if (names[i].toLowerCase().indexOf(q) >= 0) {
          name = names[i];
          hit = data.nodes[name];
          break;
        }
    }
    if (found) found.classList.remove('found');
    if (!hit) {
      status.textContent = 'no node matches';
      return;
    }
    if (!hit[0]) {
      status.textContent = name + ': not drawn (' + hit[1] + ')';
      return;
    }
    found = document.getElementById(hit[0]);
    found.classList.add('found');
    found.scrollIntoView({ block: 'center', inline: 'center' });
    status.textContent = name;
    if (hit[1]) open(hit[0], hit[1]);
  }
  var search = document.getElementById('search');
  search.addEventListener('change', function () {
    if (search.value) find(search.value);
  });

  // #KEY opens a box (a cluster name, a node name or a box id); #zoom=S or #fit sets the zoom.
  var hs = decodeURIComponent(location.hash.slice(1)).split('&');
  for (var k = 0; k < hs.length; k++) {
    var h = hs[k];
    if (!h) continue;
    if (h === 'fit') {
      fit();
      continue;
    }
    if (h.indexOf('zoom=') === 0) {
      zoom(parseFloat(h.slice(5)) || 1);
      continue;
    }
    var target = document.getElementById(h);
    var boxes = svg.querySelectorAll('.box');
    for (var j = 0; !target && j < boxes.length; j++) if (boxes[j].getAttribute('data-key') === h) target = boxes[j];
    if (target && target.closest('#graph')) open(target.id);
    else if (data.nodes[h]) find(h);
  }
  if (!status.textContent) status.textContent = data.boxes + ' boxes';
  document.documentElement.setAttribute('data-ready', String(svg.querySelectorAll('.box').length));
})();
