"""Install the arena: ``pip install -e .`` (add ``[dev]`` for the test and lint tools)."""

import re
from pathlib import Path

from setuptools import find_packages, setup

MULTIAGENT = ["pettingzoo[atari]>=1.24", "openskill>=6"]
OPENSPIEL = ["shimmy[openspiel]>=2"]  # OpenSpiel's games as PettingZoo AEC envs, played in turns
# The documentation site: mkdocs serve (read it locally), mkdocs build --strict (CI, through the tests)
DOCS = ["mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings[python]>=0.26", "mdx-truly-sane-lists>=1.3"]
VERSION = re.search(r'__version__ = "(.+?)"', Path(__file__).with_name("arena").joinpath("__init__.py").read_text())[1]

setup(
    name="arena",
    version=VERSION,  # arena.__version__
    description="Train many reinforcement-learning policies at once over MPI",
    license="MIT",
    long_description=Path(__file__).with_name("README.md").read_text(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["arena", "arena.*"]),
    install_requires=[
        "numpy>=1.24",
        "gymnasium>=1.0",
        "matplotlib>=3.7",
        "mpi4py>=4.0",
        "mpich>=4.1",  # MPI from pip: mpiexec lands in the virtual environment
        "torch>=2.6",  # weights_only loads are safe from 2.6 on; constraints.txt pins 2.13.0 (CUDA builds too)
        "ale-py>=0.9",  # Atari: the ROMs ship inside the wheel, nothing downloads
        "opencv-python-headless>=4.8",  # frame resizing (DeepMind preprocessing) and MP4 videos
    ],
    extras_require={
        "tb": ["tensorboard>=2.14"],  # event files beside the CSV metrics: tensorboard --logdir log_comms/tb
        # PettingZoo envs, two-player Atari on multi-agent-ale-py (it plays ale-py's ROMs), tournament ratings
        "multiagent": MULTIAGENT,
        "docs": DOCS,
        "openspiel": OPENSPIEL,
        "dev": [
            "pytest>=8",
            "pytest-timeout>=2.3",
            "pytest-xdist>=3.5",
            "ruff>=0.6",
            "tensorboard>=2.14",
            *MULTIAGENT,
            *OPENSPIEL,  # the OpenSpiel test runs in CI: its wheel installs from the registry here
            *DOCS,
        ],
    },
    entry_points={"console_scripts": ["arena-check-env = arena.envs.check_env:main"]},
)
