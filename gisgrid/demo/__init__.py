"""The Yuyang demo: loading ``data/demo/yuyang.gpkg`` into PostGIS."""

from gisgrid.demo.load import DEMO_FILE, LoadSummary, load_demo, read_demo

__all__ = ["DEMO_FILE", "LoadSummary", "load_demo", "read_demo"]
