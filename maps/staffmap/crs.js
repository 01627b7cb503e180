// WGS84 -> GCJ-02 (the datum of Amap's tiles), for what the page draws itself: labels,
// search results, fitted boxes. The vector tiles come shifted from the server
// (gisgrid/staffmap/tiles.py); the browser tests compare this with gisgrid.crs.
const A = 6378245.0;
const EE = 0.00669342162296594323;

function outsideChina(lon, lat) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function dLat(x, y) {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
  r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
  r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
  return r;
}

function dLon(x, y) {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
  r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
  r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
  return r;
}

export function wgs84ToGcj02([lon, lat]) {
  if (outsideChina(lon, lat)) return [lon, lat];
  let la = dLat(lon - 105.0, lat - 35.0);
  let lo = dLon(lon - 105.0, lat - 35.0);
  const rad = lat / 180.0 * Math.PI;
  let magic = Math.sin(rad);
  magic = 1 - EE * magic * magic;
  const sq = Math.sqrt(magic);
  la = (la * 180.0) / ((A * (1 - EE)) / (magic * sq) * Math.PI);
  lo = (lo * 180.0) / (A / sq * Math.cos(rad) * Math.PI);
  return [lon + lo, lat + la];
}

let crs = 'wgs84';
export function setDisplayCrs(value) { crs = value; }
export function displayCrs() { return crs; }
/** A WGS84 [lon, lat] where it is drawn on the current basemap. */
export function toDisplay(point) { return crs === 'gcj02' ? wgs84ToGcj02(point) : point; }
/** A WGS84 [w, s, e, n] box as drawn on the current basemap. */
export function displayBbox([w, s, e, n]) {
  const [a, b] = toDisplay([w, s]);
  const [c, d] = toDisplay([e, n]);
  return [[a, b], [c, d]];
}
