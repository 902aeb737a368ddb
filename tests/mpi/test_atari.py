"""Atari runs through the arena: true game scores in the records, and the render mosaic."""

import glob
import re

import cv2
import numpy as np
import pytest
from helpers import run_script

from arena.report.mosaic import LABEL_HEIGHT, TILE_GAP, grid_shape
from arena.storage.records import PolicyRecord


def _run(case, log, n, timeout=180):
    result = run_script(n, "atari_cases.py", case, str(log), timeout=timeout)
    assert not result.timed_out, result.output
    assert result.returncode == 0, result.output
    assert f"CASE {case} FINISHED" in result.output
    return result.output


def test_records_hold_whole_games_with_true_scores(tmp_path):
    """SpaceInvaders has 3 lives and rewards of 5 to 200: per-life or clipped records would differ."""
    _run("true_scores", tmp_path, 3)
    (path,) = glob.glob(str(tmp_path / "games_*.txt"))
    games = np.loadtxt(path, ndmin=2)
    record = PolicyRecord(1, str(tmp_path)).load()
    assert len(games) >= 2
    assert record.ep_results == pytest.approx(games[:, 0].tolist())
    assert record.ep_lengths == games[:, 1].astype(int).tolist()
    assert min(record.ep_results) > 1  # clipped rewards would sum to the number of kills, not points


def test_render_writes_a_mosaic_with_a_tile_per_copy(tmp_path):
    output = _run("render", tmp_path, 10)
    assert "scaling: 3 copies" in output
    image = cv2.imread(str(tmp_path / "render" / "mosaic.png"))
    rows, cols = grid_shape(3)
    tile_h, tile_w = 168 + LABEL_HEIGHT + TILE_GAP, 168 + TILE_GAP  # Touchdown renders 168x168 frames
    assert image.shape[:2] == (rows * tile_h - TILE_GAP, cols * tile_w - TILE_GAP)
    for i in range(rows * cols):
        top, left = (i // cols) * tile_h + LABEL_HEIGHT, (i % cols) * tile_w
        tile = image[top : top + 168, left : left + 168]
        assert (tile.max() > 0) == (i < 3), f"tile {i}"
    video = cv2.VideoCapture(str(tmp_path / "render" / "round_0.mp4"))
    assert video.get(cv2.CAP_PROP_FRAME_COUNT) >= 2


def test_k_copies_in_atari_vector_env_record_every_game_and_tile(tmp_path):
    """4 copies of SpaceInvaders in an AtariBatch: every copy's whole games, true scores and tiles."""
    output = _run("vector", tmp_path, 3)
    assert re.search(r"\n1\s+environment\s+0\s+0-3\s", output)
    (path,) = glob.glob(str(tmp_path / "games_*.txt"))
    games = np.loadtxt(path, ndmin=2)
    record = PolicyRecord(1, str(tmp_path)).load()
    assert record.steps_done == 1500 * 4
    assert len(games) >= 6
    assert record.ep_results == pytest.approx(games[:, 0].tolist())
    assert record.ep_lengths == games[:, 1].astype(int).tolist()
    image = cv2.imread(str(tmp_path / "render" / "mosaic.png"))
    tile_h, tile_w = 84 + LABEL_HEIGHT + TILE_GAP, 84 + TILE_GAP  # an AtariBatch shows its 84x84 frames
    assert image.shape[:2] == (2 * tile_h - TILE_GAP, 2 * tile_w - TILE_GAP)
    for i in range(4):
        top, left = (i // 2) * tile_h + LABEL_HEIGHT, (i % 2) * tile_w
        assert image[top : top + 84, left : left + 84].max() > 0, f"tile {i}"
