"""Streets to blocks (街巷定界), and blocks as a graph with households for planning."""

from gisgrid.blocks.graph import BlockGraph, block_graph
from gisgrid.blocks.polygonize import Block, BlockDiagnostics, BlockSet, polygonize_blocks

__all__ = ["Block", "BlockDiagnostics", "BlockGraph", "BlockSet", "block_graph", "polygonize_blocks"]
