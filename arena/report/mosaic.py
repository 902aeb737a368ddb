"""``render=True``: every copy of every match, tiled into one live mosaic.

Environment ranks send a small RGB frame every ``FRAME_INTERVAL_S`` without
blocking their stepping (a frame is skipped while the last one is still in
flight). The root, idle during a round anyway, tiles the frames, labels them by
game (a copy's label) or else by match and copy, and shows them: in a window when there is a display, and always
as ``log_comms_dir/render/mosaic.png`` (refreshed) plus a video of the round.
"""

from __future__ import annotations

import math
import os
import sys
import time
from typing import Any

import numpy as np

from arena.mpi import comm as mpi
from arena.mpi import protocol
from arena.storage.files import atomic_path

FRAME_INTERVAL_S = 0.1  # 10 frames per second per copy
MAX_TILE_SIDE = 256  # frames larger than this are shrunk before they travel
PNG_INTERVAL_S = 2.0
LABEL_HEIGHT = 18
TILE_GAP = 2  # pixels of black between tiles


def shrink(frame: np.ndarray, max_side: int = MAX_TILE_SIDE) -> np.ndarray:
    """An RGB uint8 copy of ``frame`` whose longer side is at most ``max_side`` (integer striding)."""
    frame = np.asarray(frame)
    if frame.ndim == 2:
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    stride = max(1, math.ceil(max(frame.shape[:2]) / max_side))
    return np.ascontiguousarray(frame[::stride, ::stride, :3], dtype=np.uint8)


class FrameSender:
    """The environment rank's side: at most one message of frames in flight, one every ``interval`` seconds."""

    def __init__(
        self, comm: mpi.Comm, copy_ids: list[int], labels: list[str] | None = None, interval: float = FRAME_INTERVAL_S
    ):
        self.comm, self.copy_ids, self.interval = comm, copy_ids, interval
        self.labels = labels or [""] * len(copy_ids)  # each copy's label (its game), shown on its tile
        self.next_time = 0.0
        self.pending: list = []
        self.failed = False  # render() raised once: this rank renders no more

    def maybe_send(self, batch: Any) -> None:
        """Render every copy and send the frames, if due and the previous ones have left."""
        now = time.perf_counter()
        if self.failed or now < self.next_time or (self.pending and not mpi.test_all(self.pending)):
            return
        self.next_time = now + self.interval
        try:
            frames = [(c, batch.render(k), label) for k, (c, label) in enumerate(zip(self.copy_ids, self.labels))]
        except Exception as err:  # an arena5 env opening its own window, headless
            self.failed = True
            print(
                f"[arena] rank {mpi.rank_of(self.comm)}: the env's render() failed ({type(err).__name__}: "
                f"{str(err).strip().splitlines()[0] if str(err).strip() else ''}); this rank's copies are left out "
                "of the mosaic. An env for render=True returns an RGB array from render()",
                flush=True,
            )
            return
        frames = [(c, shrink(f), label) for c, f, label in frames if f is not None]  # human mode draws its own
        if frames:
            self.pending = [mpi.isend_object(frames, 0, protocol.FRAME, self.comm)]

    def close(self, timeout: float | None = None) -> None:
        """Wait for the last frames to leave (the root takes them in while it waits for the round)."""
        mpi.wait_all(self.pending, mpi.IDLE_MAX_SLEEP_S, timeout)


def tile_label(label: str, copy_id: int) -> str:
    """A short tile caption for a labelled copy: ``"game=Pong"`` -> ``"Pong #3"`` (the values, then the copy)."""
    values = [part.split("=", 1)[-1] for part in label.split(",")]
    return f"{' '.join(values)} #{copy_id}"


def grid_shape(n: int) -> tuple[int, int]:
    """(rows, columns) of the most square grid holding ``n`` tiles."""
    cols = max(1, math.ceil(math.sqrt(n)))
    return math.ceil(n / cols), cols


def compose(frames: dict[int, np.ndarray | None], labels: dict[int, str]) -> np.ndarray:
    """One RGB image: a labelled tile per copy (black until its first frame), row by row."""
    import cv2

    keys = sorted(labels)
    shapes = [f.shape for f in frames.values() if f is not None] or [(84, 84, 3)]
    h, w = max(s[0] for s in shapes), max(s[1] for s in shapes)
    rows, cols = grid_shape(len(keys))
    tile_h, tile_w = h + LABEL_HEIGHT + TILE_GAP, w + TILE_GAP
    image = np.zeros((rows * tile_h - TILE_GAP, cols * tile_w - TILE_GAP, 3), dtype=np.uint8)
    for i, key in enumerate(keys):
        top, left = (i // cols) * tile_h, (i % cols) * tile_w
        frame = frames.get(key)
        if frame is not None:
            image[top + LABEL_HEIGHT : top + LABEL_HEIGHT + frame.shape[0], left : left + frame.shape[1]] = frame
        text, scale = fit_text(labels[key], w - 4)
        cv2.putText(image, text, (left + 3, top + 13), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1)
    return image


def fit_text(text: str, width: int) -> tuple[str, float]:
    """The caption and font scale that fit ``width`` pixels: smaller type first, then fewer characters."""
    import cv2

    def size(t: str, s: float) -> int:
        return cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, s, 1)[0][0]

    scale = 0.4
    while scale > 0.25 and size(text, scale) > width:
        scale -= 0.05
    while len(text) > 1 and size(text, scale) > width:
        text = text[:-1]
    return text, scale


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform in ("darwin", "win32")


class MosaicView:
    """The root's side: takes in frames, refreshes the PNG, the video and (with a display) a window."""

    def __init__(self, comm: mpi.Comm, labels: dict[int, str], out_dir: str, round_index: int, window: bool = True):
        self.comm, self.labels = comm, labels
        self.frames: dict[int, np.ndarray | None] = {k: None for k in labels}
        os.makedirs(out_dir, exist_ok=True)
        self.png_path = os.path.join(out_dir, "mosaic.png")
        self.video_path = os.path.join(out_dir, f"round_{round_index}.mp4")
        self.video = None
        self.window = _LiveWindow() if window and _has_display() else None
        self.next_frame = self.next_png = 0.0
        self.frames_written = 0

    def poll(self) -> None:
        """Take in the frames that have arrived; add a video frame and refresh the PNG when due."""
        while True:
            found, message, _ = mpi.poll_object(mpi.ANY_SOURCE, protocol.FRAME, self.comm)
            if not found:
                break
            for copy_id, frame, label in message:
                if copy_id in self.frames:
                    self.frames[copy_id] = frame
                    if label:
                        self.labels[copy_id] = tile_label(label, copy_id)
        now = time.perf_counter()
        if now >= self.next_frame and any(f is not None for f in self.frames.values()):
            self.next_frame = now + FRAME_INTERVAL_S
            self._show(compose(self.frames, self.labels), write_png=now >= self.next_png)
            if now >= self.next_png:
                self.next_png = now + PNG_INTERVAL_S

    def _show(self, image: np.ndarray, write_png: bool) -> None:
        import cv2

        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        if self.video is None:
            fourcc = cv2.VideoWriter_fourcc(*"mp4v")
            self.video = cv2.VideoWriter(self.video_path, fourcc, 1.0 / FRAME_INTERVAL_S, image.shape[1::-1])
        self.video.write(bgr)
        self.frames_written += 1
        if write_png:
            png = cv2.imencode(".png", bgr)[1]
            with atomic_path(self.png_path) as tmp, open(tmp, "wb") as f:
                f.write(png.tobytes())
        if self.window is not None:
            self.window.show(image)

    def close(self) -> None:
        """Drain the last frames, write the final PNG and finish the video."""
        self.next_frame = self.next_png = 0.0
        self.poll()
        if self.video is not None:
            self.video.release()
        if self.window is not None:
            self.window.close()


class _LiveWindow:
    """A matplotlib window that is redrawn in place; any failure turns it off (files go on)."""

    def __init__(self):
        self.figure = self.artist = None
        self.failed = False

    def show(self, image: np.ndarray) -> None:
        if self.failed:
            return
        try:
            import matplotlib.pyplot as plt

            if self.figure is None:
                plt.ion()
                self.figure, ax = plt.subplots(num="arena: all matches")
                ax.axis("off")
                self.artist = ax.imshow(image)
            elif self.artist.get_array().shape != image.shape:
                self.artist.set_data(image)
                self.artist.set_extent((0, image.shape[1], image.shape[0], 0))
            else:
                self.artist.set_data(image)
            plt.pause(0.001)
        except Exception as err:  # no usable GUI backend: keep writing files
            print(f"[arena] live render window unavailable ({err}); writing files only", flush=True)
            self.failed = True

    def close(self) -> None:
        if self.figure is not None and not self.failed:
            import matplotlib.pyplot as plt

            plt.close(self.figure)
