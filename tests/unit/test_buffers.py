"""Per-step data travels in preallocated, aligned buffers laid out from the spaces."""

import numpy as np
from gymnasium import spaces

from arena.mpi.buffers import SpaceCodec
from arena.mpi.protocol import action_layout, step_layout


def test_image_obs_keep_uint8_and_shape():
    codec = SpaceCodec(spaces.Box(0, 255, (84, 84, 4), np.uint8))
    layout = step_layout([codec, codec])
    buf, views = layout.allocate()
    image = np.random.default_rng(0).integers(0, 256, (84, 84, 4), dtype=np.uint8)
    codec.encode(image, views["obs1"][0, ...])
    assert views["obs1"].dtype == np.uint8 and views["obs1"].shape == (1, 84, 84, 4)  # (copies, *shape)
    out = codec.decode(views["obs1"][0, ...])
    np.testing.assert_array_equal(out, image)
    views["obs1"][:] = 0
    assert out.any(), "decode must copy, not alias the buffer"
    assert buf.nbytes == layout.nbytes >= 2 * 84 * 84 * 4


def test_views_are_aligned_and_disjoint():
    codecs = [SpaceCodec(spaces.Discrete(5)), SpaceCodec(spaces.Box(-1, 1, (3,), np.float32))]
    layout = step_layout(codecs)
    buf, views = layout.allocate()
    for offset, _ in layout.offsets.values():
        assert offset % 8 == 0
    views["reward"][0] = [1.5, -2.0]
    codecs[0].encode(4, views["obs0"][0, ...])
    codecs[1].encode(np.array([0.5, -0.5, 1.0]), views["obs1"][0, ...])
    assert views["reward"].tolist() == [[1.5, -2.0]]
    assert codecs[0].decode(views["obs0"][0, ...]) == 4
    np.testing.assert_allclose(codecs[1].decode(views["obs1"][0, ...]), [0.5, -0.5, 1.0])


def test_composite_spaces_travel_flattened():
    space = spaces.Dict({"pos": spaces.Box(-1, 1, (2,), np.float32), "mode": spaces.Discrete(3)})
    codec = SpaceCodec(space)
    buf, views = action_layout([codec]).allocate()
    value = {"pos": np.array([0.25, -0.75], np.float32), "mode": 2}
    codec.encode(value, views["act0"][0, ...])
    back = codec.decode(views["act0"][0, ...])
    assert back["mode"] == 2
    np.testing.assert_allclose(back["pos"], value["pos"])


def test_multi_discrete_and_binary():
    for space, value in ((spaces.MultiDiscrete([3, 4]), [2, 3]), (spaces.MultiBinary(4), [1, 0, 1, 1])):
        codec = SpaceCodec(space)
        _, views = action_layout([codec]).allocate()
        codec.encode(value, views["act0"][0, ...])
        assert codec.decode(views["act0"][0, ...]).tolist() == value


def test_k_copies_travel_in_one_buffer():
    codec = SpaceCodec(spaces.Box(0, 255, (4, 84, 84), np.uint8))
    layout = step_layout([codec], copies=8)
    _, views = layout.allocate()
    frames = np.random.default_rng(1).integers(0, 256, (8, 4, 84, 84), dtype=np.uint8)
    codec.encode_batch(frames, views["obs0"])  # one copy for a ready batch
    assert views["ended"].shape == (8,) and views["reward"].shape == (8, 1)
    np.testing.assert_array_equal(codec.decode_batch(views["obs0"]), frames)
    codec.encode_batch(list(frames[::-1]), views["obs0"])  # or copy by copy from a list
    np.testing.assert_array_equal(views["obs0"][0], frames[7])
    space = spaces.Dict({"pos": spaces.Box(-1, 1, (2,), np.float32), "mode": spaces.Discrete(3)})
    composite = SpaceCodec(space)
    _, act_views = action_layout([composite], copies=2).allocate()
    composite.encode_batch([{"pos": np.zeros(2, np.float32), "mode": 1}] * 2, act_views["act0"])
    assert [v["mode"] for v in composite.decode_batch(act_views["act0"])] == [1, 1]
