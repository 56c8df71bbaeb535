/* badia: the maps of the reader's pages (home, place). Reads its points from the JSON block
   #badia-map-data (no inline script, for a strict CSP). The map never zooms past the tiles that
   exist (the tile layer's maxZoom bounds it); places at one point are one circle listing them all. */
(function () {
  var holder = document.getElementById("badia-map"), block = document.getElementById("badia-map-data");
  if (!holder || !block) { return; }
  var data = JSON.parse(block.textContent);
  // datasette-leaflet ships Leaflet as an ES module that also sets window.L (as datasette-cluster-map uses it).
  import(data.leaflet).then(function () { draw(holder, data); });
})();

function draw(holder, data) {
  var map = L.map(holder, { scrollWheelZoom: false });
  L.tileLayer(data.tiles, data.tile_options).addTo(map);
  var most = Math.max.apply(null, data.points.map(function (p) { return p.events || 1; }).concat([1]));
  function link(place) {
    var li = document.createElement("li"), a = document.createElement("a");
    a.href = data.places + encodeURIComponent(place.id);
    a.textContent = place.name;
    li.appendChild(a);
    li.appendChild(document.createTextNode(" " + place.events + (place.events === 1 ? " event" : " events")));
    return li;
  }
  data.points.forEach(function (p) {
    var radius = 5 + 15 * Math.sqrt((p.events || 0) / most);
    var marker = L.circleMarker([p.lat, p.lon], { radius: radius, color: "#333", weight: 1, fillColor: p.colour, fillOpacity: 0.8 });
    var popup = document.createElement("div"), list = document.createElement("ul");
    popup.className = "badia-popup";
    p.places.forEach(function (place) { list.appendChild(link(place)); });
    popup.appendChild(list);
    marker.bindPopup(popup);
    marker.bindTooltip(p.places.map(function (x) { return x.name; }).join("; "));
    marker.addTo(map);
  });
  var maxZoom = data.tile_options.maxZoom;
  if (data.focus) {
    map.fitBounds(data.focus, { padding: [30, 30], maxZoom: maxZoom });
  } else {
    map.setView([34.5, 38.5], Math.min(6, maxZoom));
  }
}
