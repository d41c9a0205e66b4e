"""Benchmark settings, from the environment."""
import os
from pathlib import Path

PARTNERS = int(os.environ.get("BENCH_PARTNERS", "100000"))
SEED = int(os.environ.get("BENCH_SEED", "1"))
RUNS = int(os.environ.get("BENCH_RUNS", "200"))
POSTGRES_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench")
CACHE_DIR = Path(__file__).resolve().parents[2] / ".bench"  # git-ignored
